"""Suggesting copies for wishes and standing plans.

Ranked by the reader's preferences (subjects, authors, language, format: large print or
audio for a reader who needs it). Never proposes a title that the reader or their family
has had within the branch's window (default 12 months), one on the never-send list, or one
already promised to them in an open order.
"""
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone

from backend.catalog.isbn import normalize_isbn
from backend.catalog.models import Item, ItemStatus, Title
from backend.circulation.selectors import titles_read_since
from backend.core.text import fold, search_tokens
from backend.readers.models import Reader

ACCESSIBLE_FORMATS = {"large_print", "audio", "braille"}


@dataclass
class Suggestion:
    title: Title
    item: Item
    score: float
    reasons: list[str] = field(default_factory=list)


def never_send_ids(reader: Reader) -> set[int]:
    """Titles on the reader's never-send list, matched by ISBN or by exact title."""
    entries = (reader.preferences or {}).get("never_send") or []
    if not entries:
        return set()
    isbns = {normalize_isbn(e) for e in entries if len(normalize_isbn(e)) in (10, 13)}
    names = {fold(e) for e in entries}
    ids = set(Title.objects.filter(isbn__in=isbns).values_list("id", flat=True)) if isbns else set()
    for name in names:
        # search_text starts with the folded title; confirm the whole title matches.
        for pk, title in Title.objects.filter(search_text__startswith=name).values_list(
            "id", "title"
        ):
            if fold(title) == name:
                ids.add(pk)
    return ids


def promised_ids(reader: Reader) -> set[int]:
    from backend.orders.models import LIVE_LINE_STATUSES, OrderLine

    household = Q(reader=reader)
    if reader.family_card_id:
        household |= Q(reader__family_card_id=reader.family_card_id)
    return set(
        OrderLine.objects.filter(household, status__in=LIVE_LINE_STATUSES, title__isnull=False)
        .values_list("title_id", flat=True)
    )


def excluded_title_ids(reader: Reader, branch=None) -> set[int]:
    branch = branch or reader.branch
    since = timezone.now() - relativedelta(months=branch.history_months)
    return titles_read_since(reader=reader, since=since) | never_send_ids(reader)


def suggest(
    *,
    reader: Reader,
    branch=None,
    wish_text: str = "",
    wish_format: str = "",
    wish_language: str = "",
    wish_subject: str = "",
    limit: int = 5,
    exclude: set[int] | None = None,
) -> list[Suggestion]:
    """Copies to propose, best first, one per title, the branch's own shelf first."""
    branch = branch or reader.branch
    prefs = reader.preferences or {}
    excluded = excluded_title_ids(reader, branch) | promised_ids(reader) | (exclude or set())
    items = Item.objects.filter(status=ItemStatus.AVAILABLE).select_related("title")
    if wish_format:
        items = items.filter(title__format=wish_format)
    if wish_language:
        items = items.filter(title__language=wish_language)
    if wish_subject:
        items = items.filter(title__subjects_key__contains=f"|{fold(wish_subject)}|")
    for token in search_tokens(wish_text)[:5]:
        items = items.filter(title__search_text__contains=token)
    items = items.exclude(title_id__in=excluded)

    languages = set(prefs.get("languages") or []) or {reader.language}
    formats = set(prefs.get("formats") or [])
    needs_accessible = formats & ACCESSIBLE_FORMATS
    subjects = {fold(s) for s in prefs.get("subjects") or []}
    authors = {fold(a) for a in prefs.get("authors") or []}

    best: dict[int, Suggestion] = {}
    for item in items.order_by("title_id", "id")[:5000]:
        title = item.title
        if needs_accessible and title.format not in needs_accessible and not wish_format:
            continue  # a reader who needs large print or audio is not sent ordinary print
        score = 0.0
        reasons: list[str] = []
        if title.format in formats:
            score += 3
            reasons.append(f"format:{title.format}")
        if title.language in languages:
            score += 2
            reasons.append(f"language:{title.language}")
        shared = subjects & {fold(s) for s in title.subjects or []}
        if shared:
            score += 1.5 * len(shared)
            reasons.extend(f"subject:{s}" for s in sorted(shared))
        if authors & {fold(a) for a in title.authors or []}:
            score += 2
            reasons.append("author")
        if item.branch_id == branch.id:
            score += 0.5
        score += (title.year or 1900) / 100000  # newer editions first among equals
        current = best.get(title.id)
        if current is None or score > current.score:
            best[title.id] = Suggestion(title=title, item=item, score=score, reasons=reasons)
    ranked = sorted(best.values(), key=lambda s: (-s.score, s.title.title, s.item.id))
    return ranked[:limit]


def suggest_for_line(line, limit: int = 5) -> list[Suggestion]:
    return suggest(
        reader=line.reader, branch=line.order.branch, wish_text=line.wish_text,
        wish_format=line.wish_format, wish_language=line.wish_language,
        wish_subject=line.wish_subject, limit=limit,
    )
