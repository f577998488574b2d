"""What the operator sees on a call: everything about the caller's household on one screen.

The number of queries does not grow with the reader's loans or visits.
"""
import datetime

from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, Value, prefetch_related_objects
from django.db.models.functions import JSONArray

from backend.circulation.models import Loan, LoanStatus
from backend.circulation.selectors import (
    due_back_by_reader,
    due_back_day,
    households_active_loans,
)
from backend.core.models import RowsJSON
from backend.core.phones import to_e164
from backend.core.prepared import PreparedRead
from backend.core.recurrence_text import rrule_describe
from backend.orders.models import OPEN_STATUSES, Order, OrderLine, OrderStatus
from backend.readers.card_text import availability_text, preferences_lines
from backend.readers.models import Reader
from backend.readers.selectors import next_visit_dates, readers_by_phone_read

# What the card shows of a loan, an order and its lines (and what picks what is due back):
# the rows read with these columns only, not every column of the loan, copy, title, reader
# and order.
LOAN_COLUMNS = ("id", "reader_id", "family_card_id", "issued_at", "due_date", "renewals",
                "item__barcode", "title__title", "title__authors", "reader__family_card_id")
ORDER_COLUMNS = ("id", "reader_id", "status", "preferred_date", "scheduled_date",
                 "window_start", "window_end", "fail_reason", "failed_attempts",
                 "standing_plan_id", "updated_at")
LINE_COLUMNS = ("id", "order_id", "status", "title__title", "wish_text")
RECENT_VISITS = 10
_VISITED = [OrderStatus.DELIVERED, OrderStatus.PARTIALLY_DELIVERED, OrderStatus.FAILED]


def _household_loans(reader_ids: list[int], family_ids: list[int]):
    return (households_active_loans([(reader_id, None) for reader_id in reader_ids]
                                    + [(None, family_id) for family_id in family_ids])
            .only(*LOAN_COLUMNS))


def _current_orders(reader_ids: list[int]):
    # Open orders and those that failed a visit without being visited since, in one read
    # (the second are open or cancelled ones).
    tried = Q(failed_attempts__gt=0) & ~Q(status__in=_VISITED)
    return (Order.objects.filter(Q(status__in=OPEN_STATUSES) | tried, reader_id__in=reader_ids)
            .only(*ORDER_COLUMNS).order_by("preferred_date", "id"))


def _visits(reader_ids: list[int], recent_visits: int = RECENT_VISITS):
    return (Order.objects.filter(reader_id__in=reader_ids, status__in=_VISITED)
            .only(*ORDER_COLUMNS)
            .order_by("-updated_at", "-id")[: recent_visits * max(1, len(reader_ids))])


def _lines(order_ids: list[int]):
    # An order's own lines in their order: no join on the orders to sort by them.
    return (OrderLine.objects.filter(order_id__in=order_ids).select_related("title")
            .only(*LINE_COLUMNS).order_by("position", "id"))


def _plans_model():
    # Standing plans sit a layer above orders: reached through the orders' own link to them.
    return Order._meta.get_field("standing_plan").related_model


def _standing_plans(reader_ids: list[int], family_ids: list[int]):
    # One read of both kinds (a plan is a reader's or a family card's).
    return _plans_model().objects.filter(Q(reader_id__in=reader_ids)
                                         | Q(family_card_id__in=family_ids))


def _with_plans_said(readers):
    """PostgreSQL: the cards found by phone say whether they or their family card have a
    standing plan (`desk_has_plans`), so that a household with none (most callers) is not
    read for plans."""
    if connections[readers.db].vendor != "postgresql":
        return readers
    plans = _plans_model().objects.filter(Q(reader_id=OuterRef("pk"))
                                          | Q(family_card_id=OuterRef("family_card_id")))
    return readers.annotate(desk_has_plans=Exists(plans))


# What the card shows of a line, as the lines are read with their orders (_orders_with_lines)
# and as _order_dict takes them.
LINE_JSON = ("id", "status", "title__title", "wish_text")


def _orders_with_lines(reader_ids: list[int]):
    # PostgreSQL: the current orders and the last visits in one read (UNION ALL, each
    # row saying which it is, `desk_visit`), each with its lines as JSON (LINE_JSON).
    lines = RowsJSON(OrderLine.objects.filter(order_id=OuterRef("pk")).order_by("position", "id")
                     .values_list(JSONArray(*LINE_JSON)))
    current = (_current_orders(reader_ids).order_by()
               .annotate(desk_visit=Value(False), desk_lines=lines))
    visits = (Order.objects.filter(reader_id__in=reader_ids, status__in=_VISITED)
              .only(*ORDER_COLUMNS).annotate(desk_visit=Value(True), desk_lines=lines)
              .order_by("-updated_at", "-id")[: RECENT_VISITS * max(1, len(reader_ids))])
    return current.union(visits, all=True)


def _line_row(line: OrderLine) -> list:
    return [line.id, line.status, line.title.title if line.title_id else None, line.wish_text]


def _orders_folded() -> bool:
    """Whether the orders are read with their visits and lines (_orders_with_lines)."""
    return connections[router.db_for_read(Order)].vendor == "postgresql"


def _current_key(order: Order) -> tuple:
    # _current_orders' own order: preferred date (none last, as PostgreSQL sorts), id.
    return (order.preferred_date is None, order.preferred_date or datetime.date.min, order.id)


# The card's reads, their SQL built once for each number of ids up to prepared.MAX_LIST
# (backend.core.prepared); more ids: the querysets as such.
_HOUSEHOLD_LOANS = PreparedRead(_household_loans, "reader_ids", "family_ids",
                                lists=("reader_ids", "family_ids"))
_CURRENT_ORDERS = PreparedRead(_current_orders, "reader_ids", lists=("reader_ids",))
_VISITS = PreparedRead(_visits, "reader_ids", lists=("reader_ids",))
_LINES = PreparedRead(_lines, "order_ids", lists=("order_ids",))
_ORDERS_WITH_LINES = PreparedRead(_orders_with_lines, "reader_ids", lists=("reader_ids",))
_STANDING_PLANS = PreparedRead(_standing_plans, "reader_ids", "family_ids",
                               lists=("reader_ids", "family_ids"))


def _loan_dict(loan: Loan, today) -> dict:
    return {
        "id": loan.id,
        "barcode": loan.item.barcode,
        "title": loan.title.title,
        "authors": loan.title.authors,
        "issued_at": loan.issued_at,
        "due_date": loan.due_date,
        "overdue": loan.due_date < today,
        "renewals": loan.renewals,
        "reader": loan.reader_id,
    }


def _order_dict(order: Order, lines: list) -> dict:
    """The order as the card shows it; `lines`: its lines as LINE_JSON's columns."""
    return {
        "id": order.id,
        "status": order.status,
        "preferred_date": order.preferred_date,
        "scheduled_date": order.scheduled_date,
        "window_start": order.window_start,
        "window_end": order.window_end,
        "fail_reason": order.fail_reason,
        "lines": [{"id": line_id, "status": status, "title": title, "wish": wish or None}
                  for line_id, status, title, wish in lines],
        "updated_at": order.updated_at,
    }


# Standing plans sit a layer above orders: they register what the desk shows of a plan's
# coming visits (plans.apps; fn(plan, reader) -> [{"date", "window_start", "window_end",
# "moved_from", "note"}], a visit moved off a holiday saying so).
_PLAN_VISITS: list = []


def plan_visits_provider_add(provider) -> None:
    if provider not in _PLAN_VISITS:
        _PLAN_VISITS.append(provider)


def _plan_visits(plan, reader) -> list[dict]:
    return next((found for provider in _PLAN_VISITS
                 if (found := provider(plan, reader)) is not None), [])


def _plan_dict(plan, reader=None) -> dict:
    return {
        "id": plan.id,
        "rrule": plan.rrule,
        "rrule_text": rrule_describe(plan.rrule, plan.starts_on),
        "window_start": plan.window_start,
        "window_end": plan.window_end,
        "items_per_visit": plan.items_per_visit,
        "active": plan.active,
        "pauses": [{"starts_on": p.starts_on, "ends_on": p.ends_on, "reason": p.reason}
                   for p in plan.pauses.all()],
        "next_visits": _plan_visits(plan, reader),
    }


def desk_cards(readers: list[Reader], *, recent_visits: int = RECENT_VISITS) -> list[dict]:
    """The desk card of each reader: loans, what is due back at the next visit (the whole
    household's, `circulation.selectors.due_back`), open orders, last visits, standing plans
    (theirs and their family card's), preferences and the next visit dates. The number of
    queries does not grow with the readers, loans or visits."""
    if not readers:
        return []
    reader_ids = [r.id for r in readers]
    family_ids = {r.family_card_id for r in readers if r.family_card_id}
    # The households' active loans once: the readers' own are shown, and what is due back is
    # picked from all of them.
    household_loans = _HOUSEHOLD_LOANS.rows(reader_ids=reader_ids, family_ids=sorted(family_ids))
    shown = set(reader_ids)
    loans = [loan for loan in household_loans if loan.reader_id in shown]
    visited = _VISITED
    # Open orders and those that failed a visit without being visited since, in one read
    # (the second are open or cancelled ones), and the last visits; on PostgreSQL the two
    # and their lines are one read, elsewhere the lines are read once for all the orders.
    # Lines by the order object (id()): a failed order is both open and a visit, read twice.
    lines_of: dict[int, list] | None = None
    if recent_visits == RECENT_VISITS and _orders_folded():
        read = _ORDERS_WITH_LINES.rows(reader_ids=reader_ids)
        current = sorted((o for o in read if not o.desk_visit), key=_current_key)
        read_visits = sorted((o for o in read if o.desk_visit),
                             key=lambda o: (o.updated_at, o.id), reverse=True)
        lines_of = {id(o): o.desk_lines for o in read}
    else:
        current = _CURRENT_ORDERS.rows(reader_ids=reader_ids)
        read_visits = (_VISITS.rows(reader_ids=reader_ids) if recent_visits == RECENT_VISITS
                       else list(_visits(reader_ids, recent_visits)))
    open_orders = [o for o in current if o.status in OPEN_STATUSES]
    visits = read_visits + sorted(
        (o for o in current if o.failed_attempts > 0 and o.status not in visited),
        key=lambda o: (o.updated_at, o.id), reverse=True)[:recent_visits]
    if lines_of is None:
        orders = list({id(o): o for o in current + visits}.values())
        by_order: dict[int, list] = {}
        for line in _LINES.rows(order_ids=[o.id for o in orders]) if orders else ():
            by_order.setdefault(line.order_id, []).append(_line_row(line))
        lines_of = {id(o): by_order.get(o.id, []) for o in orders}
    # The standing plans of both kinds, the readers' first, with their pauses (none to read
    # when the cards said they have none, _with_plans_said).
    plans = _STANDING_PLANS.rows(reader_ids=reader_ids, family_ids=sorted(family_ids)) if any(
        getattr(reader, "desk_has_plans", True) for reader in readers) else []
    prefetch_related_objects(plans, "pauses")
    plans.sort(key=lambda p: (p.reader_id is None, p.id))
    upcoming = {reader.id: next_visit_dates(reader) for reader in readers}
    due = due_back_by_reader(readers, loans=household_loans, on_date={
        reader.id: due_back_day(reader, upcoming=upcoming[reader.id]) for reader in readers})
    result = []
    for reader in readers:
        today = reader.branch.today()
        mine_plans = [_plan_dict(p, reader) for p in plans
                      if p.reader_id == reader.id
                      or (p.family_card_id and p.family_card_id == reader.family_card_id)]
        # A standing plan's order on a day moved off a holiday says so.
        moved = {(plan["id"], visit["date"]): visit["note"] for plan in mine_plans
                 for visit in plan["next_visits"] if visit["moved_from"]}
        mine = [loan for loan in loans if loan.reader_id == reader.id]
        result.append({
            "reader": reader,
            "loans": [_loan_dict(loan, today) for loan in mine],
            "due_back": [_loan_dict(loan, today) for loan in due[reader.id]],
            "open_orders": [
                {**_order_dict(o, lines_of[id(o)]),
                 "moved_note": moved.get((o.standing_plan_id, o.preferred_date), "")}
                for o in open_orders if o.reader_id == reader.id],
            "last_visits": [_order_dict(o, lines_of[id(o)]) for o in sorted(
                (v for v in visits if v.reader_id == reader.id),
                key=lambda o: o.updated_at, reverse=True)[:recent_visits]],
            "standing_plans": mine_plans,
            "preferences": reader.preferences,
            "preferences_lines": preferences_lines(reader.preferences),
            "home_hours": availability_text(reader.availability),
            "next_visit_dates": upcoming[reader.id],
        })
    return result


def desk_card(reader: Reader, *, recent_visits: int = RECENT_VISITS) -> dict:
    """One reader's desk card: what the lookup shows for them, whether or not they have a
    phone on file."""
    return desk_cards([reader], recent_visits=recent_visits)[0]


def desk_lookup(phone: str, *, recent_visits: int = RECENT_VISITS) -> dict:
    """The reader(s) and family card behind a number said in any form."""
    number = to_e164(phone)
    readers = readers_by_phone_read(phone, more=_with_plans_said)
    prefetch_related_objects(readers, "family_card__members")
    families = {r.family_card_id: r.family_card for r in readers if r.family_card_id}
    return {
        "phone": number or phone,
        "matches": desk_cards(readers, recent_visits=recent_visits),
        "family_cards": list(families.values()),
    }


def desk_family(reader: Reader) -> list[dict]:
    """The other members of the reader's family card, each with their loans (due date,
    overdue), for the card's "Family" section; the household's due back is the card's own
    `due_back`. Two queries whatever the family's size."""
    if not reader.family_card_id:
        return []
    members = list(Reader.objects.filter(family_card_id=reader.family_card_id)
                   .exclude(pk=reader.pk).select_related("branch")
                   .order_by("last_name", "first_name", "id"))
    loans = list(Loan.objects.filter(status=LoanStatus.ACTIVE, reader__in=members)
                 .select_related("item", "title").order_by("due_date", "id"))
    today = reader.branch.today()
    return [{"reader": member,
             "loans": [_loan_dict(loan, today) for loan in loans if loan.reader_id == member.id]}
            for member in members]
