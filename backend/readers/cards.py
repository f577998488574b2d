"""How cards are numbered, in one place: a reader's card `<branch code>-<id, 5 digits>`
(ALM-00042), a family card `<branch code>-F<id, 4 digits>` (ALM-F0007), and the card of an
anonymised reader `X<id, 5 digits>`, which names no branch. The numbers are made from the
row's id once it is saved, so they never collide."""


def card_number_format(branch_code: str, pk: int) -> str:
    """A reader's card number."""
    return f"{branch_code}-{pk:05d}"


def family_card_number_format(branch_code: str, pk: int) -> str:
    """A family card's number."""
    return f"{branch_code}-F{pk:04d}"


def anonymized_card_number(pk: int) -> str:
    """The number an anonymised card keeps (backend/readers/anonymize.py)."""
    return f"X{pk:05d}"
