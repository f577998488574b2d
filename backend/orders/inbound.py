"""What a reader's SMS means: STOP / START, 1 (ДА, ИӘ) confirms the visit, 2 asks to move it
(a task in the operator's inbox), anything else goes to the inbox.

The webhook (backend/notifications) records the SMS once and asks this handler, which
OrdersConfig.ready() registers with the outbox; the handler changes orders, cards and the
outbox only through their services.
"""
import datetime
import re

from django.utils import translation
from django.utils.translation import gettext as _

from backend.notifications.models import InboundAction, InboxKind, Message
from backend.notifications.registry import InboundReply
from backend.notifications.sending import phone_opt_in, phone_opt_out
from backend.notifications.services import inbox_item_add
from backend.orders.models import Order, OrderStatus
from backend.orders.services import order_visit_confirm
from backend.readers.selectors import reader_for_phone

_WORD = re.compile(r"[^\w]+", re.UNICODE)
STOP_WORDS = frozenset({
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout",
    "стоп", "отписаться", "отписка", "отказ", "хватит",
    "тоқтату", "токтату", "тоқта", "токта", "тоқтат", "бас тарту",
})
START_WORDS = frozenset({"start", "unstop", "старт", "подписаться", "бастау", "жазылу"})
CONFIRM_WORDS = frozenset({"1", "да", "иә", "ия", "иа", "ие", "yes", "ok", "ок"})
MOVE_WORDS = frozenset({"2", "перенести", "перенос", "ауыстыру", "кейінге"})


def _keyword(text: str) -> str:
    return " ".join(_WORD.sub(" ", (text or "").casefold()).split())


def _order_asked_about(number: str, reader):
    """The visit the reply is about: the last message to that number about an order still
    to come, else the reader's next scheduled visit."""
    open_statuses = [OrderStatus.READY, OrderStatus.SCHEDULED, OrderStatus.OUT_FOR_DELIVERY]
    last = (Message.objects.filter(to=number, order__isnull=False,
                                   order__status__in=open_statuses)
            .select_related("order").order_by("-created_at", "-id").first())
    if last is not None:
        return last.order
    if reader is None:
        return None
    return (Order.objects.filter(reader=reader, status=OrderStatus.SCHEDULED)
            .order_by("scheduled_date", "id").first())


def inbound_sms_handle(*, number: str, body: str, sid: str,
                       now: datetime.datetime) -> InboundReply:
    """`number` (E.164) wrote `body`; runs in the webhook's transaction, once per SMS."""
    reader = reader_for_phone(number)
    language = getattr(reader, "language", None) or "ru"
    word = _keyword(body)
    order = None
    reply = ""
    if word in STOP_WORDS:
        action = InboundAction.OPT_OUT
        phone_opt_out(number=number, keyword=word, now=now)  # the cards hear it (readers)
        with translation.override(language):
            reply = _("Kniga 03: you will get no more messages. Send START to get them again.")
    elif word in START_WORDS:
        action = InboundAction.OPT_IN
        phone_opt_in(number=number, now=now)
        with translation.override(language):
            reply = _("Kniga 03: messages are on again. Send STOP to refuse them.")
    elif word in CONFIRM_WORDS and (order := _order_asked_about(number, reader)) is not None:
        action = InboundAction.CONFIRMED
        order_visit_confirm(order=order, phone=number)
        with translation.override(language):
            reply = _("Thank you, the visit is confirmed.")
    elif word in MOVE_WORDS:
        action = InboundAction.MOVE_REQUEST
        order = _order_asked_about(number, reader)
        inbox_item_add(kind=InboxKind.MOVE_REQUEST, reader=reader, order=order, phone=number,
                       text=body, provider_id=sid or "")
        with translation.override(language):
            reply = _("Thank you, the library will call you to agree on another day.")
    else:
        action = InboundAction.INBOX
        order = _order_asked_about(number, reader) if reader is not None else None
        inbox_item_add(kind=InboxKind.MESSAGE, reader=reader, order=order, phone=number,
                       text=body, provider_id=sid or "")
    return InboundReply(action=action, reply=reply, reader=reader, order=order)
