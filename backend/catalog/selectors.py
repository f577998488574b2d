"""Catalog reads: search by title or author (any case, Kazakh letters typed or not, Latin),
ISBN or barcode."""
from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery

from backend.catalog.isbn import normalize_isbn
from backend.catalog.models import Item, ItemStatus, Title
from backend.core.phones import digits_of
from backend.core.prepared import PreparedRead
from backend.core.search import ranked_search
from backend.core.text import fold, search_key, search_key_tokens


def title_search_text(title: Title) -> str:
    return fold(" ".join([title.title, *(title.authors or []), title.isbn or ""]))[:1000]


def title_search_fields(title: Title) -> None:
    """Set the title's search columns: title and authors as written (folded case) and
    their key, however they are typed (title_list reads both)."""
    title.search_text = title_search_text(title)
    title.search_key = search_key(title.search_text)[:1200]


def subjects_key(subjects: list[str] | None) -> str:
    folded = [fold(s) for s in subjects or [] if fold(s)]
    return ("|" + "|".join(folded) + "|")[:1000] if folded else ""


def _copies(**conditions) -> Subquery:
    """The number of the title's copies (with `conditions`), as a subquery: read by the
    (title, status) index for the titles found only, where counting over a join on the
    copies reads every copy of the catalog and groups the titles by every column. A COUNT
    with no GROUP BY: one row, 0 when there is no copy."""
    return Subquery(Item.objects.filter(title_id=OuterRef("pk"), **conditions).order_by()
                    .values(n=Func(F("pk"), function="COUNT", output_field=IntegerField())))


def title_queryset() -> QuerySet[Title]:
    return Title.objects.annotate(copies=_copies(),
                                  available=_copies(status=ItemStatus.AVAILABLE))


TITLE_ORDER = ("title", "id")


def _titles_of(**conditions) -> QuerySet:
    return Item.objects.filter(**conditions).order_by().values("title_id")


# Read at every catalog search: its SQL built once per connection (core.prepared).
_BARCODE_KNOWN = PreparedRead(lambda barcode: Item.objects.filter(barcode=barcode).order_by()
                              .values("pk")[:1], "barcode", texts=("barcode",))


def title_list(*, filters: dict | None = None) -> QuerySet[Title]:
    filters = filters or {}
    qs = title_queryset()
    query = (filters.get("q") or "").strip()
    ranked = False
    if query:
        isbn = normalize_isbn(query)
        # The copies as subqueries, not joins: a title is one row (no DISTINCT over every
        # column), and the page's window count counts titles.
        if len(isbn) in (10, 13) and len(digits_of(query)) >= 9:
            qs = qs.filter(Q(isbn=isbn) | Q(pk__in=_titles_of(barcode=query.strip())))
        elif _BARCODE_KNOWN.rows(barcode=query):
            qs = qs.filter(pk__in=_titles_of(barcode=query))
        else:
            # As typed first, then folded (core.search); a title is not guessed from a typo.
            qs = ranked_search(qs, query, order=TITLE_ORDER, typos=False, limit=None)
            ranked = True
    for name in ("language", "format"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("subject"):
        qs = qs.filter(subjects_key__contains=f"|{fold(filters['subject'])}|")
    if filters.get("available_at"):
        qs = qs.filter(pk__in=_titles_of(branch=filters["available_at"],
                                         status=ItemStatus.AVAILABLE))
    return qs.order_by("search_rank", *TITLE_ORDER) if ranked else qs.order_by(*TITLE_ORDER)


def item_queryset() -> QuerySet[Item]:
    return Item.objects.select_related("title", "branch")


def item_list(*, filters: dict | None = None) -> QuerySet[Item]:
    filters = filters or {}
    qs = item_queryset()
    if filters.get("barcode"):
        qs = qs.filter(barcode=filters["barcode"].strip())
    for name in ("status", "branch", "title"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("q"):
        for key in search_key_tokens(filters["q"]):
            qs = qs.filter(title__search_key__contains=key)
    return qs


def item_by_barcode(barcode: str) -> Item | None:
    return item_queryset().filter(barcode=(barcode or "").strip()).first()


def _most_common(lists, limit: int) -> list[str]:
    """The `limit` values met most often in `lists`, one spelling per folded value."""
    counts: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for values in lists:
        for value in values or []:
            text = " ".join(str(value).split())
            key = fold(text)
            if key:
                counts[key] = counts.get(key, 0) + 1
                spelling.setdefault(key, text)
    ranked = sorted(counts, key=lambda key: (-counts[key], key))[:limit]
    return sorted((spelling[key] for key in ranked), key=fold)


def catalog_subjects(*, limit: int = 500) -> list[str]:
    """The catalog's subjects, the most used first chosen, sorted by name: suggestions for a
    reader's preferences."""
    return _most_common(Title.objects.values_list("subjects", flat=True).iterator(), limit)


def catalog_authors(*, limit: int = 500) -> list[str]:
    """The catalog's authors, the most used first chosen, sorted by name."""
    return _most_common(Title.objects.values_list("authors", flat=True).iterator(), limit)
