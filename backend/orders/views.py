"""The phone desk pages: find the caller, see their card, take an order, renew, move a visit.

The pages only read through selectors and write through services, like the API does.
"""
import datetime
import time

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from backend.catalog.models import Format, Title, TitleLanguage
from backend.catalog.selectors import title_list
from backend.circulation.models import Loan
from backend.circulation.services import loan_renew
from backend.core.exceptions import ApplicationError
from backend.core.phones import digits_of, to_e164
from backend.core.roles import Role
from backend.core.web import RoleRequiredMixin
from backend.orders.desk import desk_card, desk_family
from backend.orders.models import CallLog, CallOutcome, Channel, Order, OrderStatus
from backend.orders.readback import order_reach, order_readback, title_waits
from backend.orders.services import order_create, order_update
from backend.readers.models import CardAccess, Reader
from backend.readers.selectors import delivery_address, reader_list
from backend.readers.services import card_access_record

MAX_MATCHES = 20
MAX_TITLES = 10
# Windows offered when the household's days have no hours of their own.
DEFAULT_WINDOWS = (("10:00", "13:00"), ("14:00", "17:00"))
LONGEST_CALL = 3 * 60 * 60
# order_update changes the date only before the order is on a route.
MOVABLE = (OrderStatus.NEW, OrderStatus.PICKING, OrderStatus.READY, OrderStatus.FAILED)


class DeskPage(RoleRequiredMixin, View):
    roles = (Role.OPERATOR, Role.LIBRARIAN)


def _looks_like_phone(text: str) -> bool:
    return len(digits_of(text)) >= 7 and not any(ch.isalpha() for ch in text)


class DeskHomeView(DeskPage):
    def get(self, request):
        query = request.GET.get("q", "").strip()
        matches = list(reader_list(filters={"q": query})[:MAX_MATCHES]) if query else []
        card_access_record(request=request, readers=matches, action=CardAccess.Action.SEARCH,
                           channel=CardAccess.Channel.DESK)
        logged = request.GET.get("logged", "")
        return render(request, "desk/index.html", {
            "query": query, "matches": matches, "phone": _phone_param(query),
            "call_outcomes": _call_outcomes(),
            "logged": CallLog.objects.filter(pk=int(logged), operator=request.user).first()
            if logged.isdigit() else None,
        })


class DeskSearchView(DeskPage):
    """The matches list, redrawn as the operator types."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        matches = list(reader_list(filters={"q": query})[:MAX_MATCHES]) if query else []
        card_access_record(request=request, readers=matches, action=CardAccess.Action.SEARCH,
                           channel=CardAccess.Channel.DESK)
        return render(request, "desk/_matches.html", {
            "query": query, "matches": matches, "phone": _phone_param(query),
            "call_outcomes": _call_outcomes(),
        })


def _call_outcomes() -> list[tuple[str, str]]:
    """What a call that ends without an order can have been about (views_newcard)."""
    return [(o.value, o.label) for o in (
        CallOutcome.INFORMATION, CallOutcome.RENEWAL, CallOutcome.COMPLAINT,
        CallOutcome.WRONG_NUMBER, CallOutcome.OTHER)]


def _phone_param(query: str) -> str:
    if not _looks_like_phone(query):
        return ""
    return to_e164(query) or query


class DeskTitleSearchView(DeskPage):
    """Exact titles from the catalog with how many copies are on the shelf."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        titles = list(title_list(filters={"q": query})[:MAX_TITLES]) if len(query) >= 2 else []
        reader = request.GET.get("reader", "")
        waits = title_waits([t.id for t in titles],
                            exclude_reader=int(reader) if reader.isdigit() else None)
        for title in titles:  # said as soon as the title is added to the order
            title.wait_warning = waits[title.id].warning() if waits[title.id].must_wait else ""
        return render(request, "desk/_titles.html", {"query": query, "titles": titles})


# The reader's card -------------------------------------------------------------------------


def _windows(next_dates: list[dict]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for day in next_dates:
        for window in day["windows"]:
            pair = (window["start"], window["end"])
            if pair not in seen:
                seen.append(pair)
    for pair in DEFAULT_WINDOWS:
        if pair not in seen:
            seen.append(pair)
    return seen


def _parse_window(value: str) -> tuple[datetime.time | None, datetime.time | None]:
    start, sep, end = (value or "").partition("-")
    if not sep:
        return None, None
    try:
        return (datetime.time.fromisoformat(start.strip()),
                datetime.time.fromisoformat(end.strip()))
    except ValueError:
        return None, None


def _parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _draft_from(post) -> dict:
    """The order being taken, as the form sent it."""
    ids = [int(v) for v in post.getlist("title") if v.isdigit()]
    titles = {t.id: t for t in Title.objects.filter(pk__in=ids)}
    wishes = []
    for text, fmt, language in zip(post.getlist("wish_text"), post.getlist("wish_format"),
                                   post.getlist("wish_language"), strict=False):
        text = text.strip()
        if text:
            wishes.append({
                "wish_text": text[:300],
                "wish_format": fmt if fmt in Format.values else "",
                "wish_language": language if language in TitleLanguage.values else "",
            })
    window = post.get("window", "")
    return {
        "titles": [titles[i] for i in ids if i in titles],
        "wishes": wishes,
        "preferred_date": _parse_date(post.get("preferred_date", "")),
        "window": window,
        "note": post.get("note", "").strip()[:1000],
        "phone": post.get("phone", "").strip()[:20],
        "opened_at": post.get("opened_at", ""),
    }


def _wish_label(wish: dict) -> str:
    parts = [wish["wish_text"]]
    if wish["wish_format"]:
        parts.append(str(Format(wish["wish_format"]).label))
    if wish["wish_language"]:
        parts.append(str(TitleLanguage(wish["wish_language"]).label))
    return ", ".join(parts)


def _field_errors(error: ApplicationError) -> tuple[dict, str]:
    """Errors keyed by the form field they belong next to, and the rest."""
    fields: dict[str, list[str]] = {}
    for name, messages in (error.fields or {}).items():
        key = "lines" if name.startswith("lines") else name
        if key == "window_start":
            key = "window_end"
        fields.setdefault(key, []).extend(str(m) for m in messages)
    return fields, str(error.message)


def _address_line(address: dict) -> str:
    line = ", ".join(p for p in (address.get("settlement"), " ".join(
        p for p in (address.get("street"), address.get("house")) if p)) if p)
    if address.get("apartment"):
        line += ", " + _("apt.") + " " + address["apartment"]
    return line


def _address_details(address: dict) -> list[str]:
    """Entrance, floor, door code, lift: what the volunteer asks about on the way in."""
    details = []
    if address.get("entrance"):
        details.append(_("entrance") + " " + address["entrance"])
    if address.get("floor") is not None:
        details.append(_("floor") + " " + str(address["floor"]))
    if address.get("door_code"):
        details.append(_("door code") + " " + address["door_code"])
    if address.get("elevator") is True:
        details.append(_("elevator"))
    elif address.get("elevator") is False:
        details.append(_("no elevator"))
    return details


def _place_missing(reader: Reader) -> bool:
    """No coordinates where the reader is visited: no visit can be planned, whatever the desk
    says; the operator is warned before promising a date."""
    place = delivery_address(reader)
    return place.get("lat") is None or place.get("lon") is None


class ReaderCardView(DeskPage):
    template_name = "desk/card.html"

    def reader(self, pk: int) -> Reader:
        return get_object_or_404(reader_list(), pk=pk)

    def context(self, request, reader: Reader, **extra) -> dict:
        """The card page's data; every time the card is shown it goes in the access log."""
        card_access_record(request=request, readers=[reader], action=CardAccess.Action.VIEW,
                           channel=CardAccess.Channel.DESK)
        card = desk_card(reader)
        family = desk_family(reader)
        if family:  # the members' names, numbers and loans are on the page too
            card_access_record(request=request, readers=[m["reader"] for m in family],
                               action=CardAccess.Action.LIST, channel=CardAccess.Channel.DESK)
        for order in [*card["open_orders"], *card["last_visits"]]:
            order["status_label"] = OrderStatus(order["status"]).label
        phone = request.GET.get("phone") or extra.get("draft", {}).get("phone") or ""
        if not phone:
            first = next(iter(reader.phones.all()), None)
            phone = str(first.number) if first else str(reader.caregiver_phone or "")
        context = {
            "reader": reader,
            "card": card,
            "family": family,
            "due_back_ids": {loan["id"] for loan in card["due_back"]},
            "address": delivery_address(reader),
            "address_line": _address_line(delivery_address(reader)),
            "address_details": _address_details(delivery_address(reader)),
            "place_missing": _place_missing(reader),
            "phones": list(reader.phones.all()),
            "phone": phone,
            "opened_at": int(time.time()),
            "windows": _windows(card["next_visit_dates"]),
            "movable": MOVABLE,
            "wish_formats": Format.choices,
            "wish_languages": TitleLanguage.choices,
            "draft": {"titles": [], "wishes": [], "preferred_date": None, "window": "",
                      "note": ""},
            "errors": {},
            "loan_errors": {},
            "move_errors": {},
            "created": None,
            "renewed": None,
            "moved": None,
        }
        context.update(extra)
        waits = title_waits([t.id for t in context["draft"]["titles"]], exclude_reader=reader)
        for title in context["draft"]["titles"]:
            title.wait_warning = waits[title.id].warning() if waits[title.id].must_wait else ""
        if context["draft"].get("opened_at"):
            context["opened_at"] = context["draft"]["opened_at"]
        created = request.GET.get("created")
        if created and created.isdigit():
            order = Order.objects.filter(pk=int(created), reader=reader).first()
            if order is not None:
                from backend.notifications.models import Message

                context["created"] = order
                context["sms_queued"] = Message.objects.filter(order=order).exists()
                context["reach"] = order_reach(reader)
        inbox = request.GET.get("inbox", "")
        context["inbox_item"] = int(inbox) if inbox.isdigit() else None  # a move request
        for name in ("renewed", "moved"):
            value = request.GET.get(name)
            if value and value.isdigit():
                context[name] = int(value)
        return context

    def get(self, request, pk: int):
        reader = self.reader(pk)
        _close_incoming_call(request)
        return render(request, self.template_name, self.context(request, reader))


def _close_incoming_call(request) -> None:
    """Opening the card from the incoming-call banner answers the call on every desk."""
    value = request.GET.get("call", "")
    if not value.isdigit():
        return
    from backend.notifications.models import InboxItem, InboxKind
    from backend.notifications.services import inbox_item_done

    item = InboxItem.objects.filter(pk=int(value), kind=InboxKind.CALL).first()
    if item is not None:
        inbox_item_done(item=item, by=request.user)


class OrderTakeView(ReaderCardView):
    """Two steps: read the order back to the reader, then save it."""

    def post(self, request, pk: int):
        reader = self.reader(pk)
        draft = _draft_from(request.POST)
        action = request.POST.get("action", "review")
        if action == "edit":
            return render(request, self.template_name, self.context(request, reader, draft=draft))
        if not draft["titles"] and not draft["wishes"]:
            errors = {"lines": [_("Add a title or a wish.")]}
            return render(request, self.template_name,
                          self.context(request, reader, draft=draft, errors=errors), status=400)
        start, end = _parse_window(draft["window"])
        if action != "save":
            return render(request, "desk/review.html", {
                "reader": reader, "draft": draft, "window_start": start, "window_end": end,
                "wish_labels": [_wish_label(w) for w in draft["wishes"]],
                "address_line": _address_line(delivery_address(reader)),
                "place_missing": _place_missing(reader),
                "readback": order_readback(
                    reader=reader, titles=draft["titles"], wishes=len(draft["wishes"]),
                    preferred_date=draft["preferred_date"], window_start=start,
                    window_end=end),
            })
        lines = [{"title": t} for t in draft["titles"]] + draft["wishes"]
        try:
            opened = int(draft["opened_at"] or 0)
        except ValueError:
            opened = 0
        duration = max(0, min(LONGEST_CALL, int(time.time()) - opened)) if opened else 0
        try:
            order = order_create(
                reader=reader, lines=lines, channel=Channel.PHONE,
                preferred_date=draft["preferred_date"], window_start=start, window_end=end,
                note=draft["note"], by=request.user,
                call={"phone": draft["phone"] or "-", "duration_seconds": duration,
                      "note": "", "outcome": CallOutcome.ORDER_TAKEN},
            )
        except ApplicationError as error:
            fields, message = _field_errors(error)
            return render(request, self.template_name, self.context(
                request, reader, draft=draft, errors=fields, error=message,
            ), status=error.status_code)
        return redirect(f"{reverse('desk:card', args=[reader.id])}?created={order.id}")


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


class LoanRenewView(ReaderCardView):
    """Renew a loan. From the page's script (HTMX) only the loans are redrawn, so the order
    being taken stays as it is; without it the card reloads (desk.js keeps the order)."""

    http_method_names = ["post"]  # the card's own GET takes no loan id

    def post(self, request, pk: int, loan_id: int):
        reader = self.reader(pk)
        loan = get_object_or_404(Loan, pk=loan_id, reader=reader)
        try:
            loan_renew(loan=loan, by=request.user)
        except ApplicationError as error:
            context = self.context(request, reader, loan_errors={loan.id: str(error.message)})
            if _htmx(request):  # HTMX swaps only 2xx answers: the error is in the partial
                return render(request, "desk/_loans.html", context)
            return render(request, self.template_name, context, status=error.status_code)
        if _htmx(request):
            return render(request, "desk/_loans.html",
                          self.context(request, reader, renewed=loan.id))
        return redirect(f"{reverse('desk:card', args=[reader.id])}?renewed={loan.id}#loans")


def _inbox_param(request) -> int | None:
    value = request.POST.get("inbox", "")
    return int(value) if value.isdigit() else None


def _move_request_done(request, order: Order) -> None:
    """The move came from the inbox's request to move this order: that request is done."""
    pk = _inbox_param(request)
    if pk is None:
        return
    from backend.notifications.models import InboxItem, InboxKind
    from backend.notifications.services import inbox_item_done

    item = InboxItem.objects.filter(pk=pk, kind=InboxKind.MOVE_REQUEST, order=order).first()
    if item is not None:
        inbox_item_done(item=item, by=request.user)


class VisitMoveView(ReaderCardView):
    """Move an open order's visit; like a renewal, by HTMX only the orders are redrawn."""

    http_method_names = ["post"]

    def post(self, request, pk: int, order_id: int):
        reader = self.reader(pk)
        order = get_object_or_404(Order, pk=order_id, reader=reader)
        start, end = _parse_window(request.POST.get("window", ""))
        data = {"preferred_date": _parse_date(request.POST.get("preferred_date", "")),
                "window_start": start, "window_end": end}
        try:
            order_update(order=order, data=data, by=request.user)
        except ApplicationError as error:
            context = self.context(request, reader, move_errors={order.id: str(error.message)})
            context["inbox_item"] = _inbox_param(request)
            if _htmx(request):
                return render(request, "desk/_orders.html", context)
            return render(request, self.template_name, context, status=error.status_code)
        _move_request_done(request, order)
        if _htmx(request):
            return render(request, "desk/_orders.html",
                          self.context(request, reader, moved=order.id))
        return redirect(f"{reverse('desk:card', args=[reader.id])}?moved={order.id}#orders")
