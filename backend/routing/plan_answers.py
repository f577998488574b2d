"""The day plan as the staff API answers it, written as plain dicts from the columns
`selectors.plan_read` gives, and the access-log row for the cards its stops name."""
from rest_framework import serializers

from backend.accounts.models import user_name
from backend.readers.models import CardAccess, address_line_of, full_name_of
from backend.readers.services import card_access_record
from backend.routing import selectors
from backend.routing.models import DayPlan, UnservedReason

# The plan answer is written as plain dicts, in PlanOutputSerializer's (and its routes' and
# stops') fields' order and shapes, from the columns selectors.plan_read gives (the
# serializers in routing.apis are the schema): a city's day of hundreds of stops builds no model
# object and runs no field object for each of them.
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_HOUR = serializers.TimeField(format="%H:%M")


def _shown(field: serializers.Field, value):
    return None if value is None else field.to_representation(value)


def _float(value) -> float | None:
    return None if value is None else float(value)


def _stop_answer(row: dict, orders: list[int], reasons: dict[str, str]) -> dict:
    family_id = row["family_card_id"]
    address = (address_line_of(row["family_card__settlement"], row["family_card__street"],
                               row["family_card__house"], row["family_card__apartment"])
               if family_id is not None else
               address_line_of(row["reader__settlement"], row["reader__street"],
                               row["reader__house"], row["reader__apartment"]))
    reason = row["unserved_reason"]
    return {
        "id": row["id"],
        "sequence": row["sequence"],
        "kind": str(row["kind"]),
        "status": str(row["status"]),
        "household": str(row["household"]),
        "reader": {"id": row["reader_id"],
                   "full_name": full_name_of(row["reader__last_name"], row["reader__first_name"],
                                             row["reader__patronymic"]),
                   "card_number": row["reader__card_number"]},
        "family_card": None if family_id is None else {"id": family_id,
                                                       "name": row["family_card__name"]},
        "address": address,
        "lat": _float(row["lat"]),
        "lon": _float(row["lon"]),
        "window_start": _HOUR.to_representation(row["window_start"]),
        "window_end": _HOUR.to_representation(row["window_end"]),
        "expected_arrival": _shown(_DATETIME, row["expected_arrival"]),
        "service_minutes": row["service_minutes"],
        "load_out": row["load_out"],
        "load_back": row["load_back"],
        "languages": [None if code is None else str(code) for code in row["languages"]],
        "route": row["route_id"],
        "pinned_volunteer": row["pinned_volunteer_id"],
        "orders": orders,
        "unserved_reason": str(reason),
        # An unknown reason fails as UnservedReason(reason) does in the serializer.
        "unserved_reason_display": reasons[reason] if reason else "",
    }


def _route_answer(row: dict, stops: list[dict]) -> dict:
    return {
        "id": row["id"],
        "volunteer": {"id": row["volunteer_id"],
                      "name": user_name(row["volunteer__user__first_name"],
                                        row["volunteer__user__last_name"],
                                        row["volunteer__user__username"]),
                      "transport": row["volunteer__transport"],
                      "capacity": row["volunteer__capacity"],
                      "languages": row["volunteer__languages"]},
        "status": str(row["status"]),
        "departure": _shown(_DATETIME, row["departure"]),
        "end": _shown(_DATETIME, row["end"]),
        "distance_m": row["distance_m"],
        "duration_s": row["duration_s"],
        "travel_s": row["travel_s"],
        "max_load": row["max_load"],
        "stops": stops,
    }


def plan_answers(read: selectors.PlanRead) -> dict[int, dict]:
    """`PlanOutputSerializer(plan).data` of each plan read, as plain dicts, by plan id: the
    texts (the reasons, the words of an address) in the active language, the times in the
    active zone, as the serializer writes them."""
    reasons = {value: str(label) for value, label in UnservedReason.choices}
    stops: dict[int, list[dict]] = {}  # by route
    unserved: dict[int, list[dict]] = {}  # by plan
    for row in read.stops:
        answer = _stop_answer(row, read.orders.get(row["id"], []), reasons)
        if row["route_id"]:
            stops.setdefault(row["route_id"], []).append(answer)
        else:
            unserved.setdefault(row["plan_id"], []).append(answer)
    # A route none of whose stops is live shows its cancelled ones, as RouteOutputSerializer
    # does when the plan gives it no stop (it then reads the route's own, cancelled or not).
    cancelled: dict[int, list[dict]] = {}  # by route
    for row in read.cancelled:
        if row["route_id"] not in stops:
            cancelled.setdefault(row["route_id"], []).append(
                _stop_answer(row, read.orders.get(row["id"], []), reasons))
    routes: dict[int, list[dict]] = {}  # by plan
    for row in read.routes:
        routes.setdefault(row["plan_id"], []).append(
            _route_answer(row, stops.get(row["id"]) or cancelled.get(row["id"], [])))
    return {plan["id"]: {
        "id": plan["id"],
        "branch": plan["branch_id"],
        "branch_name": str(plan["branch__name"]),
        "date": _DATE.to_representation(plan["date"]),
        "status": str(plan["status"]),
        "solve_status": str(plan["solve_status"]),
        "progress": {str(key): value for key, value in plan["progress"].items()},
        "figures": {str(key): value for key, value in plan["figures"].items()},
        "solved_at": _shown(_DATETIME, plan["solved_at"]),
        "published_at": _shown(_DATETIME, plan["published_at"]),
        "routes": routes.get(plan["id"], []),
        "unserved": unserved.get(plan["id"], []),
    } for plan in read.plans}


def plan_answer(plan: DayPlan | int) -> dict | None:
    """`PlanOutputSerializer(plan).data` of one plan, as a plain dict (None when there is no
    such plan). Writes nothing in the card access log: an answer sent is logged by
    `plans_shown`."""
    pk = getattr(plan, "pk", plan)
    return plan_answers(selectors.plan_read([pk])).get(pk)


def plans_shown(request, read: selectors.PlanRead,
                channel: str = CardAccess.Channel.API) -> None:
    """The cards the plans' stops name go in the access log: one row, as `stops_shown`
    writes it for the same stops (plan by plan, each plan's stops in their order)."""
    by_plan: dict[int, list[dict]] = {}
    for stop in read.stops:
        by_plan.setdefault(stop["plan_id"], []).append(stop)
    stops = [stop for plan in read.plans for stop in by_plan.get(plan["id"], ())]
    card_access_record(request=request, readers=[s["reader_id"] for s in stops],
                       family_cards=[s["family_card_id"] for s in stops],
                       action=CardAccess.Action.ROUTE, channel=channel)
