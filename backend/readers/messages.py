"""Where a reader's messages go, and writing one to them.

Who hears it: the reader by SMS; by a call when the card says so, or when the reader takes
audio or Braille books, or has no phone that takes SMS; the caregiver instead when the card
says so. The apps that tell readers something (orders, routing) write through
`reader_message_send`; the outbox itself (backend/notifications) knows nothing of cards.
"""
import datetime
import logging
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from backend.core.prepared import PreparedRead
from backend.notifications.models import Channel, Message, PhoneOptOut
from backend.notifications.services import message_enqueue
from backend.notifications.texts import VOICE_LANGUAGES, TemplateMissing, render, say_date
from backend.readers.models import ReaderPhone

logger = logging.getLogger("kniga03.messages")

VOICE_FORMATS = frozenset({"audio", "braille"})


@dataclass
class Recipient:
    to: str
    channel: str
    language: str
    via_caregiver: bool = False
    # Whether the number said STOP, when it was read with the card's phones (None: not read).
    refused: bool | None = None


# Read at every message to a reader (an order taken tells them): the card's phones as
# `reader.phones.all()` reads them, each with whether its number said STOP (what the outbox
# would read next), its SQL built once per connection (core.prepared).
_PHONES = PreparedRead(
    lambda reader_id: ReaderPhone.objects.filter(reader_id=reader_id).annotate(
        number_refused=Exists(PhoneOptOut.objects.filter(number=OuterRef("number")))),
    "reader_id")


def _phones_of(reader) -> list:
    if reader.pk is None or "phones" in getattr(reader, "_prefetched_objects_cache", {}):
        return list(reader.phones.all())  # read with the card already, or no card yet
    return _PHONES.rows(reader_id=reader.pk)


def reader_recipient(reader) -> Recipient | None:
    """Where the reader's messages go, or None (refused messages, no phone)."""
    if reader is None or reader.messages_opt_out_at:
        return None
    language = reader.language if reader.language in ("ru", "kk") else "ru"
    phones = sorted(_phones_of(reader), key=lambda p: (p.position, p.id))
    choice = reader.contact_channel
    if choice == "caregiver":
        number = reader.caregiver_phone or next(
            (p.number for p in phones if p.kind == "caregiver"), None)
        if number:
            return Recipient(str(number), Channel.SMS, language, via_caregiver=True)
    own = [p for p in phones if p.kind != "caregiver"]
    formats = set((reader.preferences or {}).get("formats") or [])
    wants_voice = choice == "voice" or (not choice and bool(formats & VOICE_FORMATS))
    if not wants_voice:
        mobile = next((p for p in own if p.kind == "mobile" and p.sms_ok), None)
        if mobile is not None:
            return Recipient(str(mobile.number), Channel.SMS, language,
                             refused=getattr(mobile, "number_refused", None))
    if own:  # a call: the reader asked for it, cannot read, or has no phone for SMS
        return Recipient(str(own[0].number), Channel.VOICE, language,
                         refused=getattr(own[0], "number_refused", None))
    return None


def _short_name(reader) -> str:
    return " ".join(p for p in (reader.first_name, reader.patronymic) if p)


def reader_message_send(*, reader, code: str, event_key: str, context: dict, order=None,
                        branch=None, not_before=None, expires_at=None,
                        now=None) -> Message | None:
    """Write message `code` to the reader (or their caregiver) in their language; dates in
    `context` are said as people say them. None when nothing can go (no phone, refused
    messages, no template)."""
    recipient = reader_recipient(reader)
    if recipient is None:
        return None
    def said(language: str) -> dict:
        values = {"name": _short_name(reader), **context}
        return {key: say_date(value, language) if isinstance(value, datetime.date) else value
                for key, value in values.items()}

    say_text = ""
    try:
        text, language = render(code, channel=recipient.channel, language=recipient.language,
                                context=said(recipient.language))
        if recipient.channel == Channel.VOICE and language not in VOICE_LANGUAGES:
            # No voice speaks it: the Russian text, for when no audio can be played.
            say_text, _ru = render(code, channel=Channel.VOICE, language="ru",
                                   context=said("ru"))
    except TemplateMissing:
        logger.error("No template %s: nothing sent to reader %s", code, reader.pk)
        return None
    stored = {k: v.isoformat() if isinstance(v, datetime.date) else v
              for k, v in context.items()}
    return message_enqueue(
        event_key=event_key, template=code, to=recipient.to, text=text, language=language,
        channel=recipient.channel, reader=reader, order=order,
        branch=branch or reader.branch, context=stored, via_caregiver=recipient.via_caregiver,
        not_before=not_before, expires_at=expires_at, say_text=say_text, now=now,
        number_refused=recipient.refused,
    )
