"""Routing's answers to what the apps below it announce (connected in RoutingConfig.ready)."""
from django.db import connections, router, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from backend.core.models import InRows
from backend.readers.signals import card_anonymizing
from backend.routing.door_stamps import doors_changed
from backend.routing.models import SHOWN_ROUTE_STATUSES, Route, Stop


def erase_card_copies(sender, *, reader=None, family=None, **kwargs) -> None:
    """An anonymized card's stops lose their coordinates and notes."""
    if reader is not None:
        Stop.objects.filter(reader=reader).update(lat=None, lon=None, note="")
    if family is not None:
        Stop.objects.filter(family_card=family).update(lat=None, lon=None, note="")


# Routes that show a changed card, order or loan -------------------------------------------------
#
# A route's answer in the app shows a reader's name, address and phones, the family card, the
# copies of its orders and the loans due back. A change to any of those touches `updated_at`
# of the shown routes with a stop for that household or order, and drops those stops' door
# tokens (routing.door_stamps), once per transaction, when it commits: the app's kept route
# answer and its kept doors (mobile_api.route_cache) are keyed by them.


class _Pending:
    """What the current transaction changed, touched once when it commits."""

    def __init__(self) -> None:
        self.readers: set[int] = set()
        self.families: set[int] = set()
        self.orders: set[int] = set()
        self.titles: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.readers or self.families or self.orders or self.titles)


_pending_by_connection: dict[int, _Pending] = {}


def routes_touch(*, readers=(), families=(), orders=(), titles=()) -> None:
    """The shown routes with a stop of these readers' households (their own or their family
    card's), of these family cards, for these orders, or that hands over or collects a copy of
    these titles, and those stops' doors: one read of the stops, one UPDATE of the routes (on
    PostgreSQL both in one statement)."""
    connection = connections[router.db_for_write(Route)]
    if connection.vendor == "postgresql" and not titles:
        # A volunteer's every complete and fail comes here: the read's SQL is the same
        # whatever the ids (arrays), so it is not built again, and the server keeps it prepared.
        if not (readers or families or orders):
            return
        stop_ids = _touched_at_once(connection, _found_by_ids_sql(connection), [
            [*SHOWN_ROUTE_STATUSES], [*readers], [*readers], [*families], [*orders]],
            timezone.now())
    else:
        where = _stops_showing(readers=readers, families=families, orders=orders,
                               titles=titles)
        if where is None:
            return
        stops = (Stop.objects.filter(where, route__status__in=SHOWN_ROUTE_STATUSES)
                 .values_list("pk", "route_id").order_by())
        if connection.vendor == "postgresql":
            sql, params = stops.query.get_compiler(connection=connection).as_sql()
            stop_ids = _touched_at_once(connection, sql, list(params), timezone.now())
        else:
            found = list(stops)
            if found:
                Route.objects.filter(pk__in={route_id for _stop, route_id in found}).update(
                    updated_at=timezone.now())
            stop_ids = [stop_id for stop_id, _route in found]
    if stop_ids:
        # The app keeps each door of a route by its token (routing.door_stamps, route_cache).
        doors_changed(stop_ids)


_FOUND_BY_IDS: dict[str, str] = {}


def _found_by_ids_sql(connection) -> str:
    """On PostgreSQL, `_stops_showing(readers=, families=, orders=)` written once with an array
    for each (an empty one matches nothing): (stop id, route id) of the shown routes' stops.
    Parameters: the shown statuses, the readers twice, the family cards, the orders."""
    sql = _FOUND_BY_IDS.get(connection.alias)
    if sql is None:
        from backend.readers.models import Reader

        qn = connection.ops.quote_name

        def column(model, name: str) -> str:
            return qn(model._meta.get_field(name).column)

        linked = Stop.orders.through._meta
        sql = (
            f"SELECT s.{column(Stop, 'id')}, s.{column(Stop, 'route')} "
            f"FROM {qn(Stop._meta.db_table)} s INNER JOIN {qn(Route._meta.db_table)} r "
            f"ON r.{column(Route, 'id')} = s.{column(Stop, 'route')} "
            f"WHERE r.{column(Route, 'status')} = ANY(%s::varchar[]) AND ("
            f"s.{column(Stop, 'reader')} = ANY(%s::bigint[]) "
            f"OR s.{column(Stop, 'family_card')} = ANY(ARRAY("
            f"SELECT m.{column(Reader, 'family_card')} FROM {qn(Reader._meta.db_table)} m "
            f"WHERE m.{column(Reader, 'id')} = ANY(%s::bigint[]) "
            f"AND m.{column(Reader, 'family_card')} IS NOT NULL)) "
            f"OR s.{column(Stop, 'family_card')} = ANY(%s::bigint[]) "
            f"OR s.{column(Stop, 'id')} = ANY(ARRAY("
            f"SELECT o.{qn(linked.get_field('stop').column)} FROM {qn(linked.db_table)} o "
            f"WHERE o.{qn(linked.get_field('order').column)} = ANY(%s::bigint[]))))")
        _FOUND_BY_IDS[connection.alias] = sql
    return sql


def _stops_showing(*, readers=(), families=(), orders=(), titles=()) -> Q | None:
    """The condition on a stop for routes_touch, or None when nothing is named. Each branch
    reads the stop's own columns (its reader, its family card, its id), matched against the
    rows named (core.models.InRows), not a join from the stop to family members or order
    lines: an OR across such joins read every stop with its orders and every family member
    for each change (about 4 ms on a city's day, at every complete)."""
    from backend.readers.models import Reader

    linked = Stop.orders.through.objects
    where = Q()
    if titles:
        from backend.circulation.models import Loan, LoanStatus
        from backend.orders.models import OrderLine

        lines = OrderLine.objects.filter(Q(title_id__in=titles) | Q(item__title_id__in=titles))
        where |= Q(InRows("pk", linked.filter(
            order_id__in=lines.values("order_id").order_by()).values("stop_id").order_by()))
        # What is collected: a household's active loans of the title (routing.doors).
        out = Loan.objects.filter(title_id__in=titles, status=LoanStatus.ACTIVE)
        readers = {*readers, *out.values_list("reader_id", flat=True)}
        families = {*families, *out.exclude(family_card=None)
                    .values_list("family_card_id", flat=True)}
    if readers:
        where |= Q(reader_id__in=readers) | Q(InRows("family_card_id", Reader.objects.filter(
            pk__in=readers, family_card__isnull=False).values("family_card_id").order_by()))
    if families:
        where |= Q(family_card_id__in=families)
    if orders:
        where |= Q(InRows("pk", linked.filter(order_id__in=orders).values("stop_id").order_by()))
    return where or None


def _touched_at_once(connection, sql: str, params: list, now) -> list[int]:
    """The stops the read `sql` finds (their pk and route), their routes' `updated_at` set to
    `now` in the same statement (a data-modifying WITH: atomic on its own, one round trip
    instead of a read and an UPDATE); the stops' ids."""
    qn = connection.ops.quote_name
    meta = Route._meta
    updated = meta.get_field("updated_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH found (stop_id, route_id) AS ({sql}), "
            f"touched AS (UPDATE {qn(meta.db_table)} SET {qn(updated.column)} = %s "
            f"WHERE {qn(meta.pk.column)} IN (SELECT route_id FROM found)) "
            f"SELECT stop_id FROM found",
            (*params, updated.get_db_prep_save(now, connection)))
        return [row[0] for row in cursor.fetchall()]


def _orders_linked(sender, instance, action, pk_set=None, **kwargs) -> None:
    """Orders put on or taken off a stop change what is handed over there."""
    if action not in ("post_add", "post_remove", "pre_clear") or pk_set == set():
        return
    if isinstance(instance, Stop):
        stop_ids = [instance.pk]
    elif action == "pre_clear":  # from the order's side: its stops, before they go
        stop_ids = list(Stop.orders.through.objects.filter(order_id=instance.pk)
                        .values_list("stop_id", flat=True))
    else:
        stop_ids = list(pk_set or ())
    transaction.on_commit(lambda: doors_changed(stop_ids))


def _note(*, readers=(), families=(), orders=(), titles=()) -> None:
    connection = transaction.get_connection()
    key = id(connection)
    pending = _pending_by_connection.setdefault(key, _Pending())
    pending.readers.update(r for r in readers if r)
    pending.families.update(f for f in families if f)
    pending.orders.update(o for o in orders if o)
    pending.titles.update(t for t in titles if t)

    def flush() -> None:  # the first callback of a transaction does the work for all
        done = _pending_by_connection.pop(key, None)
        if done:
            routes_touch(readers=done.readers, families=done.families, orders=done.orders,
                         titles=done.titles)

    # At once outside a transaction; inside, after the outermost commit. After a rollback
    # what was noted waits for the connection's next commit: one touch too many at worst.
    transaction.on_commit(flush)


def _reader_changed(sender, instance, **kwargs) -> None:
    _note(readers=[instance.pk], families=[instance.family_card_id])


def _family_changed(sender, instance, **kwargs) -> None:
    _note(families=[instance.pk])


def _phone_changed(sender, instance, **kwargs) -> None:
    _note(readers=[instance.reader_id])


def _line_changed(sender, instance, **kwargs) -> None:
    _note(orders=[instance.order_id])


def _loan_changed(sender, instance, **kwargs) -> None:
    _note(readers=[instance.reader_id])


def _title_changed(sender, instance, created=False, **kwargs) -> None:
    """A title's name, authors or format, as the doors show them (a new one is on no door)."""
    if not created:
        _note(titles=[instance.pk])


def connect() -> None:
    from backend.catalog.models import Title
    from backend.circulation.models import Loan
    from backend.orders.models import OrderLine
    from backend.readers.models import FamilyCard, Reader, ReaderPhone

    m2m_changed.connect(_orders_linked, sender=Stop.orders.through,
                        dispatch_uid="routing.doors_changed.orders")
    card_anonymizing.connect(erase_card_copies, dispatch_uid="routing.erase_card_copies")
    for model, receiver in ((Reader, _reader_changed), (FamilyCard, _family_changed),
                            (ReaderPhone, _phone_changed), (OrderLine, _line_changed),
                            (Loan, _loan_changed), (Title, _title_changed)):
        uid = f"routing.routes_touch.{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
