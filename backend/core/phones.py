"""Phone numbers as callers say them: any form in, E.164 out (KZ by default)."""
import functools
import re

import phonenumbers
from django.conf import settings

_DIGITS = re.compile(r"\D+")


def digits_of(text: str | None) -> str:
    return _DIGITS.sub("", text or "")


def to_e164(text: str | None, region: str | None = None) -> str | None:
    """`8 701 123 45 67`, `+7 (701) 123-45-67`, `87011234567` -> `+77011234567`.

    Returns None when the text is not a valid number.
    """
    if not text:
        return None
    raw = str(text).strip()
    region = region or settings.PHONENUMBER_DEFAULT_REGION
    if len(raw) <= _KEPT_LENGTH:
        return _e164_kept(raw, region)
    return _e164(raw, region)


# A number is read several times a request (the call logged, the message written, whether it
# said STOP) and the same numbers call again: what parsing one gave is kept, for the texts a
# phone number can be.
_KEPT_LENGTH = 40


def _e164(raw: str, region: str) -> str | None:
    digits = digits_of(raw)
    # Kazakh callers dial the trunk prefix 8 before the ten national digits.
    if not raw.startswith("+") and len(digits) == 11 and digits[0] == "8":
        raw = "+7" + digits[1:]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_e164_kept = functools.lru_cache(maxsize=4096)(_e164)


def mask(number: str | None) -> str:
    """For logs: +77011234567 -> +7701***4567."""
    if not number:
        return ""
    text = str(number)
    if len(text) <= 7:
        return "***"
    return text[:5] + "***" + text[-4:]
