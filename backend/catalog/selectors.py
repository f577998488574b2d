"""Catalog reads: search by title or author (any case, Kazakh letters typed or not, Latin),
ISBN or barcode."""
from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery

from backend.catalog.isbn import normalize_isbn
from backend.catalog.models import Item, ItemStatus, Title
from backend.core.pagination import counted_with_rows
from backend.core.phones import digits_of
from backend.core.prepared import PreparedPages, PreparedRead
from backend.core.search import ranked_search, ranked_words
from backend.core.text import fold, search_key, search_key_tokens, search_tokens


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


def title_list(*, filters: dict | None = None,
               barcode_known: bool | None = None) -> QuerySet[Title]:
    """The titles `filters` ask for; `barcode_known`: whether the words are a copy's barcode,
    when the caller has read it already (None: read here)."""
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
        elif (_BARCODE_KNOWN.rows(barcode=query) if barcode_known is None
              else barcode_known):
            qs = qs.filter(pk__in=_titles_of(barcode=query))
        else:
            # As typed first, then folded (core.search); a title is not guessed from a typo.
            qs = ranked_search(qs, query, order=TITLE_ORDER, typos=False, limit=None)
            ranked = True
    return _title_filtered(qs, filters, ranked)


def _title_filtered(qs: QuerySet[Title], filters: dict, ranked: bool) -> QuerySet[Title]:
    for name in ("language", "format"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("subject"):
        qs = qs.filter(subjects_key__contains=f"|{fold(filters['subject'])}|")
    if filters.get("available_at"):
        qs = qs.filter(pk__in=_titles_of(branch=filters["available_at"],
                                         status=ItemStatus.AVAILABLE))
    return qs.order_by("search_rank", *TITLE_ORDER) if ranked else qs.order_by(*TITLE_ORDER)


MAX_WORDS_PREPARED = 4  # a search of more words is built at each request


def _ranked_titles(words: int):
    def make(language=None, format=None, available_at=None, **said) -> QuerySet[Title]:
        qs = ranked_words(title_queryset(), [said[f"word{i}"] for i in range(words)],
                          [said[f"key{i}"] for i in range(words)], order=TITLE_ORDER)
        return counted_with_rows(_title_filtered(
            qs, {"language": language, "format": format, "available_at": available_at},
            ranked=True))
    return make


# A search by words (the desk's), by the number of words and the filters given: its SQL
# built once per connection (core.prepared), each word a text in a LIKE pattern.
_TITLE_SEARCHES: dict[tuple[str, ...], PreparedRead] = {}


def title_list_pages(*, filters: dict | None = None) -> QuerySet[Title] | PreparedPages:
    """`counted_with_rows(title_list(filters))` for a paginator: a search by words with
    no subject read by SQL built once per connection, the same titles; the rest the
    queryset itself."""
    filters = filters or {}
    query = (filters.get("q") or "").strip()
    tokens = search_tokens(query) if query else []
    keys = [key for key in (search_key(token) for token in tokens) if key]
    if (not tokens or len(keys) < len(tokens) or len(tokens) > MAX_WORDS_PREPARED
            or filters.get("subject")
            or any(filters.get(name) for name in filters
                   if name not in ("q", "language", "format", "available_at"))
            or len(normalize_isbn(query)) in (10, 13) and len(digits_of(query)) >= 9):
        return counted_with_rows(title_list(filters=filters))
    if _BARCODE_KNOWN.rows(barcode=query):
        return counted_with_rows(title_list(filters=filters, barcode_known=True))
    ids = {name: filters[name] for name in ("language", "format", "available_at")
           if filters.get(name)}
    ids.update({f"word{i}": token for i, token in enumerate(tokens)})
    ids.update({f"key{i}": key for i, key in enumerate(keys)})
    names = tuple(ids)
    read = _TITLE_SEARCHES.get(names)
    if read is None:
        read = _TITLE_SEARCHES[names] = PreparedRead(
            _ranked_titles(len(tokens)), *names,
            texts=tuple(name for name in ("language", "format") if name in ids),
            likes=tuple(name for name in names if name.startswith(("word", "key"))))
    return PreparedPages(read, **ids)


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
