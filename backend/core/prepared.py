"""Reads that every request makes (the token's user, the volunteer's route), their SQL built
once per database connection instead of at each request.

Building a query's SQL (the select list of three joined tables, the WHERE, the quoting) costs
the ORM several times what the database then spends on it. A `PreparedRead` is a queryset
made by a function of a few ids; the first run on a connection builds it with a placeholder
for each id, keeps the SQL and what the ORM needs to make the rows into objects
(`select_related` objects and annotations included), and every run after that only puts the
ids in and reads the rows: the same SQL, the same objects as the queryset gives.

Kept per thread and per connection object (a connection is its thread's own), so nothing
is shared between threads and a new connection builds it again.
"""
from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators

_PLACEHOLDER = -(10 ** 15)  # no id is negative: the placeholders are told apart from the rest
_TEXT_PLACEHOLDER = "\uffffprepared %d\uffff"  # nor does any text look so (U+FFFF is no character)
_FIRST_DAY = datetime.date(1, 1, 1)  # nor is any day of the service so long ago
_TEXT = "\x1fprepared text {}\x1f"  # nor does any text said hold the unit separator
MAX_LIST = 8  # the longest list of ids read prepared: each length is a query of its own
MAX_CUTS = 16  # the most cuts (LIMIT and OFFSET) a read keeps on a connection
MAX_CUT = 1000  # nor are rows further than this read prepared


class _Built:
    __slots__ = ("connection", "sql", "params", "slots", "compiler", "converters", "model",
                 "start", "end", "init_list", "populators", "annotations")


class PreparedRead:
    """`make(**ids)` -> the queryset of the read (objects or `.values()` dicts), ids by
    name; `rows(**ids)` runs it."""

    def __init__(self, make: Callable[..., QuerySet], *names: str,
                 dates: tuple[str, ...] = (), lists: tuple[str, ...] = (),
                 texts: tuple[str, ...] = (), text_lists: tuple[str, ...] = (),
                 likes: tuple[str, ...] = ()) -> None:
        """`names`: the ids the read takes (whole numbers, none negative); `dates`: those of
        them that are days (`datetime.date`), compared with a date column; `lists`: those
        that are lists of ids (for `__in`), of at most MAX_LIST ids: the SQL is built for
        each length met (an empty list `__in` refuses is read by the queryset); `texts`:
        those that are text compared whole (`=`, not `LIKE`: a text the query changes,
        such as a `__startswith`, is refused when the SQL is built); `text_lists`: lists as
        `lists` are, of texts (for `__in` on a text column, as it is); `likes`: texts put in
        a LIKE pattern (`__startswith`, `__contains`, `__endswith`), escaped at each run as
        the ORM escapes them (`\\`, `%` and `_` taken as themselves): a text compared whole,
        or cased (`__istartswith` on SQLite is a LIKE of the text as it is), is refused when
        the SQL is built.

        `rows(cut=(start, stop), ...)` reads `make(...)[start:stop]`: its SQL (LIMIT and
        OFFSET are written in it) kept for each cut met, at most MAX_CUTS cuts, up to
        MAX_CUT rows; other cuts are read by the queryset."""
        self.make = make
        self.names = names
        self.dates = frozenset(dates)
        self.text_lists = frozenset(text_lists)
        self.lists = frozenset(lists) | self.text_lists
        self.texts = frozenset(texts)
        self.likes = frozenset(likes)
        self.local = threading.local()

    def _placeholders(self, shape: tuple[int, ...]) -> dict[str, Any]:
        lengths = dict(zip(sorted(self.lists), shape))
        numbers = itertools.count()
        return {name: [_TEXT_PLACEHOLDER % next(numbers) for _ in range(lengths[name])]
                if name in self.text_lists else
                [_PLACEHOLDER - next(numbers) for _ in range(lengths[name])]
                if name in self.lists else _FIRST_DAY + datetime.timedelta(days=next(numbers))
                if name in self.dates else _TEXT.format(next(numbers))
                if name in self.texts or name in self.likes else _PLACEHOLDER - next(numbers)
                for name in self.names}

    def _takes(self, ids: dict[str, Any]) -> bool:
        for name, value in ids.items():
            if name in self.dates:
                if type(value) is not datetime.date:
                    return False
            elif name in self.texts or name in self.likes:
                if type(value) is not str or "\x1f" in value:
                    return False
            elif name in self.text_lists:
                if not len(value) <= MAX_LIST or not all(type(one) is str for one in value):
                    return False
            elif name in self.lists:
                if not len(value) <= MAX_LIST or not all(
                        type(one) is int and one >= 0 for one in value):
                    return False
            elif type(value) is not int or value < 0:
                return False
        return True

    def _queryset(self, cut: tuple[int, int] | None = None, **ids) -> QuerySet:
        queryset = self.make(**ids)
        return queryset if cut is None else queryset[cut[0]:cut[1]]

    def _build(self, alias: str, shape: tuple[int, ...], cut: tuple[int, int] | None) -> _Built:
        connection = connections[alias]
        placeholders = self._placeholders(shape)
        queryset = self._queryset(cut, **placeholders)
        if queryset._iterable_class not in (ModelIterable, ValuesIterable):
            raise ValueError("only objects or .values() dicts are read prepared")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = list(params)
        built = _Built()
        built.slots = []
        for name, placeholder in placeholders.items():
            if name in self.dates:  # as the date column takes it (text on SQLite)
                placeholder = connection.ops.adapt_datefield_value(placeholder)
            for part, one in (enumerate(placeholder) if name in self.lists
                              else [(None, placeholder)]):
                if name in self.likes:  # a pattern holding it: "%" + text + "%" and the like
                    where = [i for i, value in enumerate(params)
                             if isinstance(value, str) and one in value]
                    if any(params[i] == one for i in where):
                        raise ValueError(f"{name} is compared whole or cased, not in a pattern")
                    built.slots.extend((name, (params[slot], one), slot) for slot in where)
                    if not where:
                        raise ValueError(f"{name} is not a parameter of the query")
                    continue
                where = [i for i, value in enumerate(params) if value == one]
                if not where:
                    raise ValueError(f"{name} is not a parameter of the query")
                if name in self.texts and any(
                        isinstance(value, str) and one in value and value != one
                        for value in params):
                    raise ValueError(f"{name} is changed by the query, not compared whole")
                built.slots.extend((name, part, slot) for slot in where)  # each place it is
        built.connection, built.sql, built.params = connection, sql, params
        built.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        built.converters = compiler.get_converters([s[0] for s in select[:compiler.col_count]])
        if queryset._iterable_class is ValuesIterable:  # a dict a row, as the queryset makes
            query = compiler.query
            built.model = None
            built.init_list = list(query.selected) if query.selected else [
                *query.extra_select, *query.values_select, *query.annotation_select]
            return built
        built.model = klass_info["model"]
        fields = klass_info["select_fields"]
        built.start, built.end = fields[0], fields[-1] + 1
        built.init_list = [f[0].target.attname for f in select[built.start:built.end]]
        built.populators = get_related_populators(klass_info, select, alias)
        built.annotations = list(compiler.annotation_col_map.items())
        return built

    def rows(self, cut: tuple[int, int] | None = None, **ids: Any) -> list:
        """The objects of the read, as `list(make(**ids))` would give them (with `cut`,
        `list(make(**ids)[start:stop])`)."""
        if self.lists:  # as `__in` takes them: each id once
            ids = {name: list(dict.fromkeys(value)) if name in self.lists else value
                   for name, value in ids.items()}
        if not self._takes(ids) or cut is not None and not (
                type(cut[0]) is int and type(cut[1]) is int
                and 0 <= cut[0] <= cut[1] <= MAX_CUT):
            return list(self._queryset(cut, **ids))  # the queryset says what it makes
        shape = tuple(len(ids[name]) for name in sorted(self.lists))
        key = shape if cut is None else (shape, cut)
        alias = getattr(self.local, "alias", None)
        if alias is None:
            alias = self.local.alias = self._queryset(**self._placeholders(shape)).db
        kept = getattr(self.local, "built", None)
        if kept is None or kept[0] is not connections[alias]:
            kept = self.local.built = (connections[alias], {})
        built = kept[1].get(key)
        if built is None:
            if cut is not None and sum(bool(one) and type(one[-1]) is tuple
                                       for one in kept[1]) >= MAX_CUTS:
                return list(self._queryset(cut, **ids))
            try:
                built = kept[1][key] = self._build(alias, shape, cut)
            except EmptyResultSet:  # an empty list the query cannot take: no SQL to keep
                built = kept[1][key] = False
        if built is False:
            return list(self._queryset(cut, **ids))
        params = list(built.params)
        ops = built.connection.ops
        for name, part, slot in built.slots:
            if name in self.likes:  # part: the pattern and the placeholder in it
                pattern, placeholder = part
                params[slot] = pattern.replace(placeholder, ops.prep_for_like_query(ids[name]))
                continue
            value = ids[name] if part is None else ids[name][part]
            params[slot] = ops.adapt_datefield_value(value) if name in self.dates else value
        with built.connection.cursor() as cursor:
            cursor.execute(built.sql, params)
            rows = cursor.fetchall()
        if built.converters:
            rows = built.compiler.apply_converters(rows, built.converters)
        if built.model is None:
            return [dict(zip(built.init_list, row)) for row in rows]
        found = []
        for row in rows:
            obj = built.model.from_db(alias, built.init_list, row[built.start:built.end])
            for populator in built.populators:
                populator.populate(row, obj)
            for name, position in built.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


class PreparedPages:
    """A prepared read's rows as a paginator takes them (core.pagination): a page (a slice)
    is read prepared, `rows(cut=...)`, and given to `then` to complete what the queryset
    would have prefetched; the count, and any other slice, is the queryset's own."""

    ordered = True  # as the queryset is: the paginator need not warn

    def __init__(self, read: PreparedRead, then: Callable[[list], list] = list,
                 **ids: Any) -> None:
        self.read, self.then, self.ids = read, then, ids

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step is None and key.stop is not None:
            start = key.start or 0
            return self.then(self.read.rows(cut=(start, max(start, key.stop)), **self.ids))
        return self.then(list(self.read.make(**self.ids)[key]))

    def count(self) -> int:
        return self.read.make(**self.ids).count()

    def __len__(self) -> int:
        return self.count()
