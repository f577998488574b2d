"""What the outbox needs to know from the apps above it, handed in from their AppConfig.ready().

notifications imports no domain app: a number that says STOP is a reader's business too
(readers), who owns a calling number is a reader card (readers), what a reply to a visit
reminder means is an order's business (orders), and a route message is rewritten from the
route as it is when it leaves (routing). Each of them registers its answer here; with
nothing registered the outbox still works on numbers alone.
"""
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class InboundReply:
    """What an inbound SMS did: the action recorded (an InboundAction), the reply to send
    back (blank: none), and the reader and order it was about, if known."""

    action: str
    reply: str = ""
    reader: Any = None
    order: Any = None


# number -> the ids of the reader cards whose messages the number's STOP / START concerns
PhoneListener = Callable[..., list[int]]
# (number, body, sid, now) -> InboundReply
InboundSmsHandler = Callable[..., InboundReply]

_opt_out_listeners: list[PhoneListener] = []
_opt_in_listeners: list[PhoneListener] = []
_phone_owner: list[Callable[[str], Any]] = []
_inbound_sms: list[InboundSmsHandler] = []
_context_refreshers: dict[str, Callable[[Any], dict | None]] = {}


def phone_listeners_add(*, opt_out: PhoneListener, opt_in: PhoneListener) -> None:
    """`opt_out(number=, keyword=, now=)` and `opt_in(number=, now=)` are called inside the
    transaction that records the number's STOP / START; each answers the ids of the reader
    cards it changed (their queued messages are cancelled on STOP)."""
    if opt_out not in _opt_out_listeners:
        _opt_out_listeners.append(opt_out)
    if opt_in not in _opt_in_listeners:
        _opt_in_listeners.append(opt_in)


def phone_opted_out(*, number: str, keyword: str, now: datetime.datetime) -> list[int]:
    return [pk for listener in _opt_out_listeners
            for pk in listener(number=number, keyword=keyword, now=now)]


def phone_opted_in(*, number: str, now: datetime.datetime) -> list[int]:
    return [pk for listener in _opt_in_listeners for pk in listener(number=number, now=now)]


def phone_owner_set(lookup: Callable[[str], Any]) -> None:
    """`lookup(number)` answers the reader card the number belongs to, or None."""
    _phone_owner[:] = [lookup]


def phone_owner(number: str):
    return _phone_owner[0](number) if _phone_owner else None


def inbound_sms_handler_set(handler: InboundSmsHandler) -> None:
    """`handler(number=, body=, sid=, now=)` decides what a reader's SMS means and answers
    an InboundReply; it runs in the webhook's transaction."""
    _inbound_sms[:] = [handler]


def inbound_sms_handler() -> InboundSmsHandler | None:
    return _inbound_sms[0] if _inbound_sms else None


def context_refresher_add(templates, refresher: Callable[[Any], dict | None]) -> None:
    """`refresher(message)` answers the variables of a message of one of `templates` as
    they are when it leaves (None: keep its text)."""
    for code in templates:
        _context_refreshers[str(code)] = refresher


def context_refresher(template: str) -> Callable[[Any], dict | None] | None:
    return _context_refreshers.get(template)
