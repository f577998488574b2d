"""A reader card's phones, as every write of cards stores them (one card or many)."""
from collections.abc import Iterable
from typing import Any

from backend.core.exceptions import ApplicationError
from backend.readers.models import MAX_PHONES, TOO_MANY_PHONES, Reader, ReaderPhone, too_many_phones


def check_phones(phones: list[dict[str, Any]] | None) -> None:
    """At most MAX_PHONES on a card (the API's serializer says the same, with the index)."""
    message = too_many_phones(len(phones or []))
    if message:
        raise ApplicationError(TOO_MANY_PHONES, message,
                               fields={"phones": [{}] * MAX_PHONES + [[message]]})


def phone_rows(reader: Reader, phones: Iterable[dict[str, Any]]) -> list[ReaderPhone]:
    """The ReaderPhone rows of `reader` (unsaved): a number once per card, position as given."""
    seen: set[str] = set()
    rows = []
    for position, phone in enumerate(phones):
        number = str(phone["number"])
        if number in seen:
            continue
        seen.add(number)
        rows.append(
            ReaderPhone(
                reader=reader,
                number=number,
                kind=phone.get("kind") or "mobile",
                sms_ok=phone.get("sms_ok", True),
                position=position,
            )
        )
    return rows


def set_phones(reader: Reader, phones: Iterable[dict[str, Any]]) -> None:
    """Replace the phones of a saved card."""
    reader.phones.all().delete()
    ReaderPhone.objects.bulk_create(phone_rows(reader, phones))
