"""Search by name or title however it is typed, ranked: as typed, then folded, then one typo.

A searchable model keeps two columns (see core.text): the text folded to lower case
(`search_text`) and its key (`search_key`, the same text with Kazakh letters, Latin
spellings and swapped vowels mapped to one skeleton). Every word of the query must be found:

- rank 0: in the text as typed (any case): "Жұмабаева" finds Жұмабаева first;
- rank 1: in the key: "жумабаева", "Zhumabaeva" and "Jumabaeva" find her too;
- rank 2 (when asked for, and when ranks 0 and 1 found fewer than FUZZY_WHEN_FEWER): a word
  of 4 letters or more (no digits) that is one typo away from a word of the key or from the
  start of one ("Жумабаево"). Shorter words are never taken as typos: "ал" would be one
  typo away from half the cards.

The typo search finds candidates, then checks each with core.text.within_one_edit (the same
check on both databases). On PostgreSQL the candidates are the rows whose key holds a part
like the word (pg_trgm's `word <% key`, served by the trigram index on the key, with
`pg_trgm.word_similarity_threshold` set to TRIGRAM_THRESHOLD on every connection), most
alike first. On SQLite they are the rows whose key contains one of the word's three-letter
pieces, those sharing the most pieces first. At most FUZZY_CANDIDATES are checked. One typo
leaves a piece of a word of 7 letters or more untouched; in a shorter word it can break
them all (a change in the middle of a 4-letter word), and that typo is not found.

Within a rank, the cards whose text (or key) starts with the first word come first: "Васил"
puts Васильев and Васильева before the many Василий and Васильевич. A search gives at most
`limit` matches (SEARCH_MATCHES_MAX by default: nobody reads further; typing more narrows).
They are gathered group by group in that order, each group cut at what is still wanted, so
a short common beginning reads the first cards of an index range, not the 50,000 cards it
matches: on PostgreSQL the "starts with" groups walk the indexes on the text and the key in
byte order (readers migration 0014), and the "contains" groups are read only when the groups
before them left room. `limit=None` gives every match (an export).
"""
from __future__ import annotations

from django.db import connections
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate

from backend.core.text import search_key, search_tokens, within_one_edit

FUZZY_MIN_LETTERS = 4
FUZZY_CANDIDATES = 2000
FUZZY_MATCHES = 200
# Typos are looked for only when the words as typed or folded find fewer cards than a page:
# "Ахметова" finds hundreds as it is, and a typo search over them would only add noise.
FUZZY_WHEN_FEWER = 20
TRIGRAM_THRESHOLD = 0.45
SEARCH_MATCHES_MAX = 200


def trigram_threshold_set(sender, connection, **kwargs) -> None:
    """A new PostgreSQL connection takes words this alike (pg_trgm) as typo candidates."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # set_config, not SET: a SET takes no bound parameter on a server-side binding.
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                           [str(TRIGRAM_THRESHOLD)])


def _all_of(field: str, words: list[str]) -> Q:
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__contains": word})
    return condition


def _typo_pieces(key: str) -> list[str]:
    return list(dict.fromkeys(key[start:start + 3] for start in range(len(key) - 2)))


def _typo_may_match(token: str) -> bool:
    # Words only: a digit is never a typo (card numbers, "Ахметова3" is not "Ахметова1").
    return (all(char.isalpha() or char in "-'" for char in token)
            and sum(char.isalpha() for char in token) >= FUZZY_MIN_LETTERS)


def near_match(key: str, words: list[str]) -> bool:
    """True when each query word is in `key`, or (4 letters or more) one typo away from a
    word of it or from the start of one."""
    parts = key.split(" ")
    for word in words:
        if word in key:
            continue
        if not _typo_may_match(word):
            return False
        size = len(word)
        if not any(within_one_edit(word, part[:length])
                   for part in parts for length in (size - 1, size, size + 1)
                   if len(part) >= length):
            return False
    return True


def _trigram_candidates(queryset: QuerySet, keys: list[str], key_field: str) -> QuerySet:
    """PostgreSQL: rows whose key has a part like each typo-able word (the trigram index)."""
    quote = connections[queryset.db].ops.quote_name
    column = f"{quote(queryset.model._meta.db_table)}." \
             f"{quote(queryset.model._meta.get_field(key_field).column)}"
    fuzzy = [key for key in keys if _typo_may_match(key)]
    for key in keys:
        if key in fuzzy:
            queryset = queryset.extra(where=[f"%s <%% {column}"], params=[key])
        else:
            queryset = queryset.filter(**{f"{key_field}__contains": key})
    likeness = RawSQL(f"word_similarity(%s, {column})", (" ".join(fuzzy),))
    return queryset.annotate(typo_likeness=likeness)


def _typo_matches(queryset: QuerySet, keys: list[str], key_field: str,
                  found_already: Q) -> list[int]:
    if not any(_typo_may_match(key) for key in keys):
        return []
    if connections[queryset.db].vendor == "postgresql":
        rows = (_trigram_candidates(queryset, keys, key_field).exclude(found_already)
                .order_by("-typo_likeness", "pk")
                .values_list("pk", key_field)[:FUZZY_CANDIDATES])
        return [pk for pk, key in rows if near_match(key or "", keys)][:FUZZY_MATCHES]
    candidates = Q()
    shared: list = []
    for key in keys:
        condition = Q(**{f"{key_field}__contains": key})
        if _typo_may_match(key):
            for piece in _typo_pieces(key):
                piece_q = Q(**{f"{key_field}__contains": piece})
                condition |= piece_q
                shared.append(Case(When(piece_q, then=Value(1)), default=Value(0)))
        candidates &= condition
    likeness = sum(shared[1:], shared[0]) if shared else Value(0)
    rows = (queryset.filter(candidates).exclude(found_already)
            .annotate(typo_likeness=likeness)
            .order_by("-typo_likeness", "pk")
            .values_list("pk", key_field)[:FUZZY_CANDIDATES])
    matches = [pk for pk, key in rows if near_match(key or "", keys)]
    return matches[:FUZZY_MATCHES]


def _in_byte_order(queryset: QuerySet, field: str):
    """`field` ordered as its PostgreSQL index in the "C" collation reads it (readers
    migration 0014), so that LIMIT stops the walk early; SQLite orders its own way."""
    if connections[queryset.db].vendor == "postgresql":
        return Collate(F(field), "C").asc()
    return F(field).asc()


def _gathered(queryset: QuerySet, groups: list[tuple[Q, tuple]], limit: int) -> list[int]:
    """The first `limit` cards of the groups, group by group, each in its own order."""
    ids: list[int] = []
    for condition, group_order in groups:
        wanted = limit - len(ids)
        if wanted <= 0:
            break
        ids.extend(queryset.filter(condition).order_by(*group_order)
                   .values_list("pk", flat=True)[:wanted])
    return ids


def ranked_search(queryset: QuerySet, query: str, *, order: tuple[str, ...],
                  typos: bool = True, text_field: str = "search_text",
                  key_field: str = "search_key",
                  limit: int | None = SEARCH_MATCHES_MAX) -> QuerySet:
    """`queryset` narrowed to what matches `query` (at most `limit` cards, the best), annotated
    `search_rank` (0 as typed, 1 folded, 2 one typo) and ordered by it, then the cards that
    start with the first word first, then by `order`. An empty query narrows nothing."""
    tokens = search_tokens(query)
    if not tokens:
        return queryset
    as_typed = _all_of(text_field, tokens)
    keys = [key for key in (search_key(token) for token in tokens) if key]
    if len(keys) < len(tokens):  # a word with no letter of its own, such as "ь"
        return (queryset.filter(as_typed).annotate(search_rank=Value(0))
                .order_by("search_rank", *order))
    if limit is None and not typos:
        return ranked_words(queryset, tokens, keys, order=order, text_field=text_field,
                            key_field=key_field)
    folded = _all_of(key_field, keys)
    text_starts = Q(**{f"{text_field}__startswith": tokens[0]})
    key_starts = Q(**{f"{key_field}__startswith": keys[0]})
    found = as_typed | folded
    if limit is None:
        where = found
        few = typos and queryset.filter(found)[:FUZZY_WHEN_FEWER].count() < FUZZY_WHEN_FEWER
    else:
        # A text that starts with the first word contains it: the starting groups leave that
        # word to "starts with" alone, which the byte-order index reads in order and the
        # planner counts right (a trigram "contains" beside it would be guessed at a few
        # hundred cards where there are fifty thousand, and all of them sorted).
        ids = _gathered(queryset, [
            (_all_of(text_field, tokens[1:]) & text_starts,
             (_in_byte_order(queryset, text_field), "pk")),
            (as_typed & ~text_starts, order),
            (_all_of(key_field, keys[1:]) & key_starts & ~as_typed,
             (_in_byte_order(queryset, key_field), "pk")),
            (folded & ~as_typed & ~key_starts, order),
        ], limit)
        where = Q(pk__in=ids)
        few = typos and len(ids) < min(FUZZY_WHEN_FEWER, limit)
    typo_ids = _typo_matches(queryset, keys, key_field, found) if few else []
    if limit is not None:
        typo_ids = typo_ids[:max(0, limit - len(ids))]
    if typo_ids:
        where |= Q(pk__in=typo_ids)
    return _ranked(queryset, where, tokens, keys, order, text_field, key_field)


def _ranked(queryset: QuerySet, where: Q, tokens: list[str], keys: list[str],
            order: tuple[str, ...], text_field: str, key_field: str) -> QuerySet:
    as_typed, folded = _all_of(text_field, tokens), _all_of(key_field, keys)
    text_starts = Q(**{f"{text_field}__startswith": tokens[0]})
    key_starts = Q(**{f"{key_field}__startswith": keys[0]})
    rank = Case(When(as_typed, then=Value(0)), When(folded, then=Value(1)), default=Value(2),
                output_field=IntegerField())
    start = Case(When(as_typed & text_starts, then=Value(0)),
                 When(~as_typed & folded & key_starts, then=Value(0)), default=Value(1),
                 output_field=IntegerField())
    return (queryset.filter(where).annotate(search_rank=rank, search_start=start)
            .order_by("search_rank", "search_start", *order))


def ranked_words(queryset: QuerySet, tokens: list[str], keys: list[str], *,
                 order: tuple[str, ...], text_field: str = "search_text",
                 key_field: str = "search_key") -> QuerySet:
    """ranked_search with every match and no typo (`limit=None, typos=False`) of the words
    `tokens` (search_tokens) and their keys (search_key, one a word): the query as words,
    so that it can be read prepared (core.prepared: each word a text in a pattern)."""
    found = _all_of(text_field, tokens) | _all_of(key_field, keys)
    return _ranked(queryset, found, tokens, keys, order, text_field, key_field)
