"""Reads that every request makes (the token's user, the volunteer's route), and the writes of
the volunteer's actions, their SQL built once per database connection instead of at each
request.

Building a query's SQL (the select list of three joined tables, the WHERE, the quoting) costs
the ORM several times what the database then spends on it. A `PreparedRead` is a queryset
made by a function of a few ids; the first run on a connection builds it with a placeholder
for each id, keeps the SQL and what the ORM needs to make the rows into objects
(`select_related` objects and annotations included), and every run after that only puts the
ids in and reads the rows: the same SQL, the same objects as the queryset gives.

A `PreparedWrite` is the same for an UPDATE: `queryset.update(...)` of the rows a function
of a few ids picks, built once with a placeholder for each id and each value given at the run;
each run puts them in, each value adapted by its field as the ORM adapts it
(`get_db_prep_save`), and answers the rows it changed as `update()` does. A `PreparedSave` is
`instance.save(update_fields=...)` of one model's given columns, signals included; a
`PreparedInsert` is `bulk_create()` of a few new rows, their ids read back.

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
from django.db import DatabaseError, connections, router, transaction
from django.db.models import AutoField, Expression, Model, QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery, UpdateQuery

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

    def _slots(self, connection, placeholders: dict[str, Any], params: list) -> list:
        """Where each placeholder sits in the built SQL's parameters: (name, part, index)
        for every place it is, `part` its index in a list, or for a LIKE pattern the
        pattern and the placeholder in it. Refuses a name the query does not compare as
        it was declared (whole, in a pattern) or does not take at all."""
        slots = []
        for name, placeholder in placeholders.items():
            if name in self.dates:  # as the date column takes it (text on SQLite)
                placeholder = connection.ops.adapt_datefield_value(placeholder)
            for part, one in (enumerate(placeholder) if name in self.lists
                              else [(None, placeholder)]):
                if name in self.likes:  # a pattern holding it: "%" + text + "%" and the like
                    where = [i for i, value in enumerate(params)
                             if isinstance(value, str) and one in value]
                    if not where:
                        raise ValueError(f"{name} is not a parameter of the query")
                    if any(params[i] == one for i in where):
                        raise ValueError(f"{name} is compared whole or cased, not in a pattern")
                    slots.extend((name, (params[slot], one), slot) for slot in where)
                    continue
                # A write's own values are markers, never equal to an id.
                where = [i for i, value in enumerate(params)
                         if type(value) is not object and value == one]
                if not where:
                    raise ValueError(f"{name} is not a parameter of the query")
                if name in self.texts and any(
                        isinstance(value, str) and one in value and value != one
                        for value in params):
                    raise ValueError(f"{name} is changed by the query, not compared whole")
                slots.extend((name, part, slot) for slot in where)  # each place it is
        return slots

    def _params(self, built, ids: dict[str, Any]) -> list:
        """The built SQL's parameters with these ids put in their slots."""
        params = list(built.params)
        ops = built.connection.ops
        for name, part, slot in built.slots:
            if name in self.likes:  # part: the pattern and the placeholder in it
                pattern, placeholder = part
                params[slot] = pattern.replace(placeholder, ops.prep_for_like_query(ids[name]))
                continue
            value = ids[name] if part is None else ids[name][part]
            params[slot] = ops.adapt_datefield_value(value) if name in self.dates else value
        return params

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
        built.slots = self._slots(connection, placeholders, params)
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
        params = self._params(built, ids)
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


class _Slot(Expression):
    """A value of a PreparedWrite put in at each run: `%s` in the SQL, its parameter an object
    of its own, found again by identity."""

    def __init__(self, field) -> None:
        super().__init__(output_field=field)
        self.marker = object()

    def resolve_expression(self, *args, **kwargs):
        return self

    def as_sql(self, compiler, connection):
        return "%s", [self.marker]


class _BuiltWrite:
    __slots__ = ("connection", "sql", "params", "slots", "values", "converters", "compiler")


class PreparedWrite(PreparedRead):
    """`make(**ids)` -> `(queryset, updates)`: the rows to write and what `update()` sets
    whatever the values (expressions such as `F("version") + 1`, constants); `values` names
    the columns given at each run. `update(values, **ids)` runs it: the rows changed, as
    `queryset.update(**updates, **values)` answers them; `returning` (column names): the
    rows as written instead, a tuple a row (on a database whose UPDATE returns rows)."""

    def __init__(self, make: Callable[..., tuple[QuerySet, dict[str, Any]]], *names: str,
                 values: tuple[str, ...] = (), returning: tuple[str, ...] = (),
                 **kinds: tuple[str, ...]) -> None:
        super().__init__(make, *names, **kinds)
        self.values = tuple(values)
        self.returning = tuple(returning)

    def _queryset(self, **ids) -> QuerySet:
        return self.make(**ids)[0]

    def _orm(self, values: dict[str, Any], ids: dict[str, Any]):
        """The write as the ORM makes it, for what cannot be put in the built SQL."""
        if self.returning:
            raise ValueError("a write returning rows takes only what its SQL was built for")
        queryset, updates = self.make(**ids)
        return queryset.update(**updates, **values)

    def _build(self, alias: str, shape: tuple[int, ...]) -> _BuiltWrite:
        connection = connections[alias]
        placeholders = self._placeholders(shape)
        queryset, updates = self.make(**placeholders)
        model = queryset.model
        if queryset.query.is_sliced or queryset.query.combinator:
            raise ValueError("a sliced or combined queryset is not written prepared")
        meta = model._meta
        slots = {}
        for name in self.values:
            field = meta.get_field(name)
            if (not field.concrete or field.model._meta.concrete_model is not model
                    or hasattr(field, "get_placeholder")):
                raise ValueError(f"{name} is not a column of {meta.label} put in as %s")
            slots[name] = _Slot(field)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values({**updates, **slots})
        if query.related_updates:
            raise ValueError("an update of a parent model's columns is not written prepared")
        query.clear_select_clause()
        query.get_initial_alias()
        if query.count_active_tables() > 1 and not connection.features.update_can_self_select:
            raise ValueError("the rows to write would be read first on this database")
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if not sql:
            raise EmptyResultSet
        params = list(params)
        built = _BuiltWrite()
        built.values = []
        for name, slot in slots.items():
            where = [i for i, value in enumerate(params) if value is slot.marker]
            if len(where) != 1:
                raise ValueError(f"{name} is not set once by the write")
            built.values.append((name, slot.output_field, where[0]))
        built.slots = self._slots(connection, placeholders, params)
        built.converters = None
        if self.returning:
            if not connection.features.can_return_columns_from_insert:
                raise ValueError("this database does not return the rows an UPDATE writes")
            fields = [meta.get_field(name) for name in self.returning]
            qn = connection.ops.quote_name
            sql += " RETURNING " + ", ".join(qn(field.column) for field in fields)
            built.compiler = model._base_manager.none().query.get_compiler(
                connection=connection)
            built.converters = built.compiler.get_converters(
                [field.get_col(meta.db_table) for field in fields])
        built.connection, built.sql, built.params = connection, sql, params
        return built

    def update(self, values: dict[str, Any], /, **ids: Any) -> Any:
        """Write `values` (the columns named by `values=`, all of them) to the rows of
        `make(**ids)`; answers the number of rows written (or the rows, with `returning`)."""
        if set(values) != set(self.values):
            raise ValueError(f"the write sets {', '.join(self.values)}")
        if self.lists:
            ids = {name: list(dict.fromkeys(value)) if name in self.lists else value
                   for name, value in ids.items()}
        if not self._takes(ids) or any(hasattr(value, "resolve_expression")
                                       for value in values.values()):
            return self._orm(values, ids)
        shape = tuple(len(ids[name]) for name in sorted(self.lists))
        alias = getattr(self.local, "alias", None)
        if alias is None:
            alias = self.local.alias = router.db_for_write(
                self._queryset(**self._placeholders(shape)).model)
        kept = getattr(self.local, "built", None)
        if kept is None or kept[0] is not connections[alias]:
            kept = self.local.built = (connections[alias], {})
        built = kept[1].get(shape)
        if built is None:
            try:
                built = kept[1][shape] = self._build(alias, shape)
            except EmptyResultSet:  # an empty list the query cannot take: no SQL to keep
                built = kept[1][shape] = False
        if built is False:
            return self._orm(values, ids)
        connection = built.connection
        params = self._params(built, ids)
        for name, field, slot in built.values:  # as SQLUpdateCompiler puts a value in
            value = values[name]
            if hasattr(value, "prepare_database_save"):
                if not field.remote_field:
                    raise TypeError(f"Tried to update field {field} with a model instance, "
                                    f"{value!r}. Use a value compatible with "
                                    f"{field.__class__.__name__}.")
                value = value.prepare_database_save(field)
            params[slot] = field.get_db_prep_save(value, connection=connection)
        with (transaction.mark_for_rollback_on_error(using=connection.alias),
              connection.cursor() as cursor):
            cursor.execute(built.sql, params)
            if not self.returning:
                return cursor.rowcount
            rows = cursor.fetchall()
        if built.converters:
            rows = built.compiler.apply_converters(rows, built.converters)
        return [tuple(row) for row in rows]


class PreparedSave:
    """`instance.save(update_fields=fields)` of one model (no parent model), its UPDATE built
    once: the same columns written in the same order, auto_now ones stamped, pre_save and
    post_save sent, and refused as save() refuses a row that is not there."""

    def __init__(self, model: type[Model], *fields: str) -> None:
        meta = model._meta
        if meta.parents or getattr(meta, "is_composite_pk", False):
            raise ValueError(f"{meta.label} is saved by save() itself")
        named = set(fields)
        # In the model's order, as save() writes them.
        self.fields = [field for field in meta.local_concrete_fields
                       if not field.primary_key and not getattr(field, "generated", False)
                       and (field.name in named or field.attname in named)]
        unknown = named - {f.name for f in self.fields} - {f.attname for f in self.fields}
        if unknown:
            raise ValueError(f"{meta.label} has no column {', '.join(sorted(unknown))}")
        self.model = model
        self.update_fields = frozenset(fields)
        self.write = PreparedWrite(lambda pk: (model._base_manager.filter(pk=pk), {}), "pk",
                                   values=tuple(field.attname for field in self.fields))

    def save(self, instance: Model) -> None:
        model = self.model
        if type(instance) is not model or instance.pk is None:
            raise ValueError(f"only a saved {model._meta.label} is saved prepared")
        instance._prepare_related_fields_for_save(operation_name="save")
        using = router.db_for_write(model, instance=instance)
        pre_save.send(sender=model, instance=instance, raw=False, using=using,
                      update_fields=self.update_fields)
        values = {field.attname: field.pre_save(instance, False) for field in self.fields}
        with transaction.mark_for_rollback_on_error(using=using):
            if using != router.db_for_write(model):
                written = model._base_manager.using(using).filter(pk=instance.pk).update(
                    **values)
            else:
                written = self.write.update(values, pk=instance.pk)
        if not written:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        instance._state.db = using
        instance._state.adding = False
        post_save.send(sender=model, instance=instance, created=False,
                       update_fields=self.update_fields, raw=False, using=using)


class _BuiltInsert:
    __slots__ = ("connection", "sql", "by_column", "compiler", "converters")


class PreparedInsert:
    """`model.objects.bulk_create(objs)` of 1 to MAX_LIST new rows (no primary key given),
    where one INSERT returns the rows' ids: built once per number of rows with the ORM's own
    compiler (so the same statement: rows of values, or on PostgreSQL arrays of columns), each
    value stamped and adapted by its field as bulk_create does (`pre_save`,
    `get_db_prep_save`), the ids put on the objects. Anything else is bulk_create's."""

    def __init__(self, model: type[Model]) -> None:
        meta = model._meta
        if meta.parents or getattr(meta, "is_composite_pk", False):
            raise ValueError(f"{meta.label} is written by bulk_create itself")
        self.model = model
        self.fields = [f for f in meta.concrete_fields
                       if not getattr(f, "generated", False) and not isinstance(f, AutoField)]
        self.local = threading.local()

    def _takes(self, objs: list, connection) -> bool:
        meta = self.model._meta
        return (1 <= len(objs) <= MAX_LIST and isinstance(meta.pk, AutoField)
                and connection.features.can_return_rows_from_bulk_insert
                and all(type(obj) is self.model and not obj._is_pk_set()
                        and not any(hasattr(getattr(obj, field.attname), "resolve_expression")
                                    for field in meta.concrete_fields)
                        for obj in objs))

    def _build(self, connection, count: int) -> _BuiltInsert:
        meta = self.model._meta
        query = InsertQuery(self.model)
        # Rows of the model's defaults, not stamped (raw): only the statement is kept.
        query.insert_values(self.fields, [self.model() for _ in range(count)], raw=True)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = meta.db_returning_fields
        (sql, params), *more = compiler.as_sql()
        if more or compiler.returning_params:
            raise ValueError("this database does not insert the rows in one statement")
        built = _BuiltInsert()
        if len(params) == count * len(self.fields):
            built.by_column = False
        elif count > 1 and len(params) == len(self.fields) and all(
                isinstance(value, list) for value in params):
            built.by_column = True  # a list of each column's values (UNNEST)
        else:
            raise ValueError("the INSERT's values are not one a column and a row")
        built.connection, built.sql = connection, sql
        built.compiler = compiler
        built.converters = compiler.get_converters(
            [field.get_col(meta.db_table) for field in meta.db_returning_fields])
        return built

    def create(self, objs: list[Model]) -> list[Model]:
        """The objects written, their ids set, as `bulk_create(objs)` answers them."""
        model = self.model
        using = router.db_for_write(model)
        connection = connections[using]
        if not self._takes(objs, connection):
            return model._default_manager.using(using).bulk_create(objs)
        meta = model._meta
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        kept = getattr(self.local, "built", None)
        if kept is None or kept[0] is not connection:
            kept = self.local.built = (connection, {})
        built = kept[1].get(len(objs))
        if built is None:
            built = kept[1][len(objs)] = self._build(connection, len(objs))
        rows = [[field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
                 for field in self.fields] for obj in objs]
        params = ([list(column) for column in zip(*rows)] if built.by_column
                  else [value for row in rows for value in row])
        with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
            cursor.execute(built.sql, params)
            returned = cursor.fetchall()
        if len(returned) != len(objs):
            raise DatabaseError("the INSERT did not return a row for each object")
        if built.converters:
            returned = built.compiler.apply_converters(returned, built.converters)
        for obj, row in zip(objs, returned, strict=True):
            for value, field in zip(row, meta.db_returning_fields, strict=True):
                setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = using
        return objs


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


def _together_sql(connection, writes: list[tuple[PreparedInsert, int]]) -> str:
    qn = connection.ops.quote_name
    parts, picks = [], []
    for number, (write, count) in enumerate(writes):
        meta = write.model._meta
        row = f"({', '.join(['%s'] * len(write.fields))})"
        parts.append(f"w{number} AS (INSERT INTO {qn(meta.db_table)} "
                     f"({', '.join(qn(field.column) for field in write.fields)}) "
                     f"VALUES {', '.join([row] * count)} RETURNING {qn(meta.pk.column)})")
        picks.append(f"SELECT {number}, {qn(meta.pk.column)} FROM w{number}")
    return f"WITH {', '.join(parts)} {' UNION ALL '.join(picks)}"


_together = threading.local()


def _one_statement(connection, write: PreparedInsert, objs: list[Model]) -> bool:
    """Whether `write.create(objs)` can be one INSERT of a WITH: rows `create` writes at once,
    a model whose INSERT returns its id alone, and no column with a placeholder of its own."""
    meta = write.model._meta
    return (write._takes(objs, connection) and list(meta.db_returning_fields) == [meta.pk]
            and not any(hasattr(field, "get_placeholder") for field in write.fields))


def inserts_together(*writes: tuple[PreparedInsert, list[Model]]) -> None:
    """`write.create(objs)` of each (write, objs), in one statement where the database takes
    INSERTs in a WITH (PostgreSQL): `WITH w0 AS (INSERT ... RETURNING id), w1 AS (...)
    SELECT 0, id FROM w0 UNION ALL SELECT 1, id FROM w1`, each INSERT's rows returned in the
    order written (as bulk_create takes them), each object stamped, adapted and given its id
    as `create` does. Elsewhere, or for rows one statement does not take (see `create`, a
    model whose INSERT returns more than its id, a column written with a placeholder of its
    own), each `create` on its own."""
    writes = tuple((write, objs) for write, objs in writes if objs)
    using = {router.db_for_write(write.model) for write, _objs in writes}
    connection = connections[using.pop()] if len(using) == 1 else None
    if connection is None or connection.vendor != "postgresql" or len(writes) < 2 or not all(
            _one_statement(connection, write, objs) for write, objs in writes):
        for write, objs in writes:
            write.create(objs)
        return
    key = tuple((write, len(objs)) for write, objs in writes)
    kept = getattr(_together, "built", None)
    if kept is None or kept[0] is not connection:
        kept = _together.built = (connection, {})
    sql = kept[1].get(key)
    if sql is None:
        sql = kept[1][key] = _together_sql(connection, list(key))
    params = []
    for write, objs in writes:
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        params += [field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
                   for obj in objs for field in write.fields]
    with (transaction.atomic(using=connection.alias, savepoint=False),
          connection.cursor() as cursor):
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    ids: list[list] = [[] for _ in writes]
    for number, pk in returned:
        ids[number].append(pk)
    for (write, objs), got in zip(writes, ids, strict=True):
        if len(got) != len(objs):
            raise DatabaseError("the INSERT did not return a row for each object")
        for obj, pk in zip(objs, got, strict=True):
            setattr(obj, write.model._meta.pk.attname, pk)
            obj._state.adding = False
            obj._state.db = connection.alias


def _under_sql(connection, parent: PreparedInsert, children: list[tuple[PreparedInsert, int]],
               link: str) -> str:
    qn = connection.ops.quote_name
    meta = parent.model._meta
    pk = qn(meta.pk.column)
    parts = [f"p AS (INSERT INTO {qn(meta.db_table)} "
             f"({', '.join(qn(field.column) for field in parent.fields)}) "
             f"VALUES ({', '.join(['%s'] * len(parent.fields))}) RETURNING {pk})"]
    picks = [f"SELECT 0, {pk} FROM p"]
    number = 0
    for write, count in children:
        child = write.model._meta
        values = ", ".join(f"p.{pk}" if field.name == link else "%s" for field in write.fields)
        for _one in range(count):
            number += 1
            parts.append(f"c{number} AS (INSERT INTO {qn(child.db_table)} "
                         f"({', '.join(qn(field.column) for field in write.fields)}) "
                         f"SELECT {values} FROM p RETURNING {qn(child.pk.column)})")
            picks.append(f"SELECT {number}, {qn(child.pk.column)} FROM c{number}")
    return f"WITH {', '.join(parts)} {' UNION ALL '.join(picks)}"


def inserts_under(parent_write: PreparedInsert, parent: Model,
                  *children: tuple[PreparedInsert, list[Model]], link: str) -> None:
    """`parent_write.create([parent])`, then `inserts_together(*children)`, the children's
    `link` (a foreign key to the parent's model, set to `parent` unsaved) written as the
    parent's new id: in one statement where the database takes INSERTs in a WITH
    (PostgreSQL), `WITH p AS (INSERT ... RETURNING id), c1 AS (INSERT ... SELECT p.id, ...
    FROM p RETURNING id), ... SELECT 0, id FROM p UNION ALL SELECT 1, id FROM c1 ...`, each
    object stamped, adapted and given its id as `create` does. Elsewhere, or for rows one
    statement does not take (as `inserts_together`), one after the other."""
    children = tuple((write, objs) for write, objs in children if objs)
    models = {parent_write.model} | {write.model for write, _objs in children}
    using = {router.db_for_write(model) for model in models}
    connection = connections[using.pop()] if len(using) == 1 else None
    if connection is None or connection.vendor != "postgresql" or not children or not all(
            _one_statement(connection, write, objs)
            for write, objs in ((parent_write, [parent]), *children)) or not all(
            write.model._meta.get_field(link).related_model is parent_write.model
            and all(getattr(obj, link) is parent for obj in objs)
            for write, objs in children):
        parent_write.create([parent])
        inserts_together(*children)
        return
    key = (parent_write, link) + tuple((write, len(objs)) for write, objs in children)
    kept = getattr(_together, "under", None)
    if kept is None or kept[0] is not connection:
        kept = _together.under = (connection, {})
    sql = kept[1].get(key)
    if sql is None:
        sql = kept[1][key] = _under_sql(connection, parent_write,
                                        [(write, len(objs)) for write, objs in children], link)
    parent._prepare_related_fields_for_save(operation_name="save")
    params = [field.get_db_prep_save(field.pre_save(parent, True), connection=connection)
              for field in parent_write.fields]
    for write, objs in children:
        others = [field for field in write.model._meta.concrete_fields if field.name != link]
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create", fields=others)
            params += [field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
                       for field in write.fields if field.name != link]
    with (transaction.atomic(using=connection.alias, savepoint=False),
          connection.cursor() as cursor):
        cursor.execute(sql, params)
        returned = dict(cursor.fetchall())
    count = sum(len(objs) for _write, objs in children)
    if sorted(returned) != list(range(count + 1)):
        raise DatabaseError("the INSERT did not return a row for each object")
    written = [(parent_write, parent)] + [(write, obj) for write, objs in children
                                          for obj in objs]
    for number, (write, obj) in enumerate(written):
        setattr(obj, write.model._meta.pk.attname, returned[number])
        obj._state.adding = False
        obj._state.db = connection.alias
    for _write, objs in children:
        for obj in objs:  # the parent's id, as save() would take it from the parent
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
