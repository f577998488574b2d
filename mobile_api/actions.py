"""What a volunteer does during the day, one function per action, all through
backend.routing.services. The direct endpoints and `sync/` share these, and the same
idempotency keys, so an action sent once by hand and once from the offline queue counts once.
"""
from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.core.exceptions import ConflictError
from backend.routing import concerns as routing_concerns
from backend.routing import route_version
from backend.routing import services as routing_services
from backend.routing.models import ConcernKind, Route, Stop
from mobile_api import selectors
from mobile_api.action_types import CONCERN, ROUTE_ACTIONS
from mobile_api.serializers import ConcernSerializer, action_answer

API_PREFIX = "/api/mobile/v1/"


class FailReason:
    CHOICES = (
        ("not_home", _("Nobody at home")),
        ("refused", _("Refused")),
        ("unreachable", _("Could not get there")),
        ("other", _("Other")),
    )


class MobileActionInputSerializer(serializers.Serializer):
    """Common to every action: when it happened on the phone (default: now)."""

    happened_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text=_("When it happened on the phone; now when not given."))


class MobileCompleteInputSerializer(MobileActionInputSerializer):
    delivered = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list,
        help_text=_("Barcodes of the copies handed over."))
    collected = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list,
        help_text=_("Barcodes of the copies taken back."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MobileFailInputSerializer(MobileActionInputSerializer):
    reason = serializers.ChoiceField(choices=FailReason.CHOICES)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MobileConcernInputSerializer(MobileActionInputSerializer):
    kind = serializers.ChoiceField(choices=ConcernKind.choices,
                                   help_text=_("What worries you about the reader."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000,
                                 help_text=_("Required for \"other\"."))

    def validate(self, attrs):
        attrs["note"] = attrs.get("note", "").strip()
        if attrs["kind"] == ConcernKind.OTHER and not attrs["note"]:
            raise serializers.ValidationError({"note": [_("Say what worries you.")]})
        return attrs


INPUT = {
    "start": MobileActionInputSerializer,
    "finish": MobileActionInputSerializer,
    "arrive": MobileActionInputSerializer,
    "complete": MobileCompleteInputSerializer,
    "fail": MobileFailInputSerializer,
    CONCERN: MobileConcernInputSerializer,
}


def action_path(kind: str, target: int) -> str:
    """The endpoint an action belongs to; the idempotency record names it."""
    scope = "routes" if kind in ROUTE_ACTIONS else "stops"
    return f"{API_PREFIX}{scope}/{target}/{kind}/"


def hashed_body(data: Any) -> Any:
    """What identifies an action's body: everything but the time it happened, so the queue
    may resend with or without it."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k != "happened_at"}
    return data


def _day_start(plan) -> datetime.datetime:
    return datetime.datetime.combine(plan.date, datetime.time(),
                                     tzinfo=plan.branch.zone)


def check_day(plan) -> None:
    """A route's actions are for its day: a route dated after today (in the branch's zone)
    refuses them (`route.not_today`, 409). A route of a past day still takes them, so a
    queue synced late for its own day is applied."""
    if plan.date > plan.branch.today():
        from django.utils.translation import gettext

        raise ConflictError("route.not_today",
                            gettext("This route is for %(date)s: its actions are taken on "
                                    "that day.") % {"date": plan.date.isoformat()})


def _at(value: datetime.datetime | None, plan, route: Route) -> datetime.datetime:
    """When the action happened: the phone's clock, unless it cannot be right.

    - No time, or a time ahead of ours: now.
    - A time before the route's day (in the branch's zone) that is also before the route
      was made (a phone reset to 1970, a typo in the year): the clock cannot be right, so
      the action is recorded as now, as it always was.
    - A time before the route's day but after the route was made: a real clock saying the
      action was done before its day (a tap on tomorrow's route, queued offline). That is
      refused: 400 with a field error on `happened_at`.
    """
    now = timezone.now()
    if value is None or value > now:
        return now
    if value >= _day_start(plan):
        return value
    if value < route.created_at:
        return now
    raise serializers.ValidationError({"happened_at": [
        _("This is before the route's day: a route's actions are done on its day.")]})


def _route_state(route: Route, *, written: bool = False) -> dict[str, Any]:
    """The route as it is now: `route` itself when it holds the row as written and locked
    (`written`, or read back by the version's bump: routing.route_version.bump), else read."""
    if written or getattr(route, "as_written", False):
        return {name: getattr(route, name) for name in route_version.STATE}
    return Route.objects.filter(pk=route.pk).values(*route_version.STATE).get()


def _stop_state(stop: Stop) -> dict[str, Any]:
    """`stop`: the row the service locked and wrote, so as it is now."""
    return {"id": stop.pk, "status": stop.status, "arrived_at": stop.arrived_at,
            "completed_at": stop.completed_at, "fail_reason": stop.fail_reason,
            "note": stop.note}


def concern_allowed(stop: Stop) -> None:
    """A concern is raised at the door: on a stop of today, or of a route whose reader
    details the volunteer still sees (from the day before until a few hours after it)."""
    route = stop.route
    plan = stop.plan
    if plan.date == plan.branch.today() or selectors.details_visible(route):
        return
    from django.utils.translation import gettext

    raise ConflictError("concern.too_late",
                        gettext("This visit is over: call the library about the reader."))


def _concern_at(value: datetime.datetime | None, plan) -> datetime.datetime:
    """When the worry was seen: the phone's time when it can be right (not ahead of ours,
    not before the day before the route), else now."""
    now = timezone.now()
    earliest = _day_start(plan) - datetime.timedelta(days=1)
    return value if value is not None and earliest <= value <= now else now


def raise_concern(*, volunteer, target: int, values: dict) -> tuple[int, dict]:
    stop = selectors.own_stop(volunteer, target)
    concern_allowed(stop)
    concern = routing_concerns.concern_raise(
        stop=stop, volunteer=volunteer, kind=values["kind"], note=values["note"],
        at=_concern_at(values.get("happened_at"), stop.plan))
    return 201, ConcernSerializer(concern).data


def perform(*, volunteer, user, kind: str, target: int, data: Any) -> tuple[int, dict]:
    """Check the input and the owner, then act. Answers (status, body) in plain JSON;
    raises 404 (not yours), ValidationError (bad input) or ApplicationError (refused)."""
    serializer = INPUT[kind](data=data if isinstance(data, dict) else {})
    serializer.is_valid(raise_exception=True)
    values = serializer.validated_data
    if kind == CONCERN:
        return raise_concern(volunteer=volunteer, target=target, values=values)
    result: dict[str, Any] = {"action": kind}
    if kind in ROUTE_ACTIONS:
        # Read with the lock the service would take again: it is told so (`locked`).
        route = selectors.own_route(volunteer, target, lock=True)
        check_day(route.plan)
        at = _at(values.get("happened_at"), route.plan, route)
        if kind == "start":
            route = routing_services.route_start(route=route, by=user, at=at, locked=True)
        else:
            route = routing_services.route_finish(route=route, by=user, at=at, locked=True)
        result["route"] = _route_state(route, written=True)  # the row it locked and wrote
    else:
        # Read with the lock the service would take again: it is told so (`locked`).
        stop = selectors.own_stop(volunteer, target, lock=True)
        check_day(stop.plan)
        at = _at(values.get("happened_at"), stop.plan, stop.route)
        if kind == "arrive":
            stop = routing_services.stop_arrive(stop=stop, by=user, at=at, locked=True)
        elif kind == "complete":
            done = routing_services.stop_complete(
                stop=stop, delivered=values["delivered"], collected=values["collected"],
                note=values["note"], by=user, at=at, locked=True)
            stop = done["stop"]
            result["loans"] = [{"barcode": loan.item.barcode, "due_date": loan.due_date}
                               for loan in done["loans"]]
            result["returns"] = [{"barcode": loan.item.barcode} for loan in done["returns"]]
        else:
            stop = routing_services.stop_fail(stop=stop, reason=values["reason"],
                                              note=values["note"], by=user, at=at, locked=True)
        result["stop"] = _stop_state(stop)
        result["route"] = _route_state(stop.route)
    return 200, action_answer(result)  # ActionResultSerializer's fields: the schema
