"""ISBN-10 and ISBN-13: normalised form and check digits."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_isbn(text: str | None) -> str:
    """The ISBN's digits and X, without hyphens or spaces, at most 13 characters."""
    raw = (text or "").upper().replace("-", "").replace(" ", "")
    return "".join(ch for ch in raw if ch.isdigit() or ch == "X")[:13]


def isbn_is_valid(isbn: str) -> bool:
    """True for a normalised ISBN-10 or ISBN-13 with a correct check digit."""
    if len(isbn) == 10 and isbn[:9].isdigit() and (isbn[9].isdigit() or isbn[9] == "X"):
        total = sum((10 - i) * int(ch) for i, ch in enumerate(isbn[:9]))
        total += 10 if isbn[9] == "X" else int(isbn[9])
        return total % 11 == 0
    if len(isbn) == 13 and isbn.isdigit():
        total = sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(isbn[:12]))
        return (10 - total % 10) % 10 == int(isbn[12])
    return False


def clean_isbn(text: str | None) -> str:
    """The ISBN as stored (digits and X), "" for blank. Raises ValueError with a message."""
    raw = (text or "").strip()
    if not raw:
        return ""
    compact = raw.upper().replace("-", "").replace(" ", "")
    if not re.fullmatch(r"\d{9}[\dX]|\d{13}", compact):
        raise ValueError(_("An ISBN has 10 or 13 digits (the last of an ISBN-10 may be X)."))
    isbn = normalize_isbn(compact)
    if not isbn_is_valid(isbn):
        raise ValueError(_("The ISBN %(isbn)s has a wrong check digit.") % {"isbn": raw})
    return isbn


def validate_isbn(value: str) -> None:
    """Model validator: blank, or a valid ISBN in the stored (compact) form."""
    if value and not isbn_is_valid(value):
        raise ValidationError(_("The ISBN %(isbn)s has a wrong check digit.") % {"isbn": value},
                              code="invalid_isbn")
