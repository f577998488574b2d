"""Writing a row unless its unique value is taken: the same event twice, the same request
key twice, makes one row, and the second writer learns that it was second.

Where the database can return rows from an INSERT and name the conflict it ignores
(PostgreSQL, SQLite from 3.35) that is one statement, `INSERT ... ON CONFLICT (<the unique
columns>) DO NOTHING RETURNING <id>`. It waits, as the plain INSERT does, for a concurrent
writer of the same value to commit (then nothing is written) or roll back (then the row is).
Only the conflict named is ignored: any other broken rule (another unique column, a check, a
missing foreign row) raises IntegrityError as save() would. The transaction goes on after a
conflict, so no savepoint is needed around it.

Elsewhere save() in a savepoint of its own, its IntegrityError caught when a row with the
same value is there, raised again when it is not (the same answers either way).

The statement is built once per model, conflict target and database connection, and kept
per thread (a connection is its thread's own), as backend.core.prepared keeps its SQL.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

_local = threading.local()
_MISSING = object()


class _Built:
    __slots__ = ("sql", "fields", "returning", "compiler", "converters")


def insert_returns_rows(connection) -> bool:
    """Whether one INSERT can skip a named conflict and return its row: PostgreSQL, and SQLite
    from 3.35 (Django 5.2 runs on SQLite from 3.31)."""
    features = connection.features
    return (features.can_return_columns_from_insert
            and features.supports_update_conflicts_with_target)


def _unique_sets(model: type[Model]) -> list[frozenset[str]]:
    """The sets of field names the model keeps unique without a condition: what an ON
    CONFLICT target may name."""
    meta = model._meta
    sets = [frozenset({field.name}) for field in meta.local_concrete_fields if field.unique]
    sets += [frozenset(together) for together in meta.unique_together]
    sets += [frozenset(constraint.fields) for constraint in meta.total_unique_constraints]
    return sets


def _conflict_fields(model: type[Model], names: Sequence[str]) -> tuple:
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    if not fields or frozenset(field.name for field in fields) not in _unique_sets(model):
        raise ValueError(f"{meta.label} keeps no unique constraint on exactly "
                         f"{', '.join(names) or 'nothing'}")
    return fields


def _takes(instance: Model) -> bool:
    """A row the one statement can write: one table, one primary key column, no ordering
    kept by Django (`order_with_respect_to`)."""
    meta = instance._meta
    return not (meta.parents or getattr(meta, "is_composite_pk", False)
                or meta.order_with_respect_to)


def _build(connection, model: type[Model], target: tuple, with_pk: bool) -> _Built:
    meta = model._meta
    qn = connection.ops.quote_name
    built = _Built()
    # The columns save() writes for a new row, in its order: an automatic key only when the
    # row has one before it is written.
    built.fields = [field for field in meta.local_concrete_fields
                    if not field.generated and (with_pk or field is not meta.auto_field)]
    built.returning = list(meta.db_returning_fields)
    built.sql = (
        f"INSERT INTO {qn(meta.db_table)} "
        f"({', '.join(qn(field.column) for field in built.fields)}) "
        f"VALUES ({', '.join(['%s'] * len(built.fields))}) "
        f"ON CONFLICT ({', '.join(qn(field.column) for field in target)}) DO NOTHING "
        f"RETURNING {', '.join(qn(field.column) for field in built.returning)}")
    built.compiler = model._base_manager.none().query.get_compiler(connection=connection)
    built.converters = built.compiler.get_converters(
        [field.get_col(meta.db_table) for field in built.returning])
    return built


def _built(connection, model: type[Model], names: tuple[str, ...], with_pk: bool) -> _Built:
    kept = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = {}
    per_connection = kept.get(connection.alias)
    if per_connection is None or per_connection[0] is not connection:
        per_connection = kept[connection.alias] = (connection, {})
    key = (model, names, with_pk)
    built = per_connection[1].get(key)
    if built is None:
        built = per_connection[1][key] = _build(
            connection, model, _conflict_fields(model, names), with_pk)
    return built


def insert_unless_taken(instance: Model, *, conflict_fields: Sequence[str]) -> bool:
    """Insert the new `instance`'s row unless a row with the same value of the unique
    `conflict_fields` (a unique field, or the fields of a unique constraint) is there: True
    when written (its id and `_state` set as save() sets them), False when taken (nothing
    written, the instance as it was, the transaction usable).

    The row is the one `Model.objects.create()` writes: each value stamped and adapted by
    its field (`pre_save`, `get_db_prep_save`), pre_save and post_save sent. Any broken rule
    other than that conflict raises IntegrityError."""
    model = type(instance)
    names = tuple(conflict_fields)
    using = router.db_for_write(model, instance=instance)
    connection = connections[using]
    meta = model._meta
    # Before anything is written or stamped, as save() does (a related object saved since
    # it was set gives its id).
    instance._prepare_related_fields_for_save(operation_name="save")
    before = {field.attname: instance.__dict__.get(field.attname, _MISSING)
              for field in meta.concrete_fields}
    if not (_takes(instance) and insert_returns_rows(connection)) or any(
            hasattr(value, "resolve_expression") for value in before.values()):
        # An expression (F(), a database default) is compiled by the ORM's own INSERT.
        return _save_unless_taken(instance, names, using, before)
    pk_value = instance.pk
    if pk_value is None:
        pk_value = meta.pk.get_pk_value_on_save(instance)  # a default of the key (uuid4)
    with_pk = pk_value is not None
    built = _built(connection, model, names, with_pk)
    if with_pk:
        setattr(instance, meta.pk.attname, pk_value)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection=connection)
              for field in built.fields]
    with transaction.mark_for_rollback_on_error(using=using), connection.cursor() as cursor:
        cursor.execute(built.sql, params)
        rows = cursor.fetchall()
    if not rows:
        _restore(instance, before)
        return False
    if built.converters:
        rows = built.compiler.apply_converters(rows, built.converters)
    for value, field in zip(rows[0], built.returning, strict=True):
        setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = using
    post_save.send(sender=model, instance=instance, created=True, update_fields=None,
                   raw=False, using=using)
    return True


def _restore(instance: Model, before: dict[str, Any]) -> None:
    """The fields' values as they were before the attempt (pre_save stamps some)."""
    for attname, value in before.items():
        if value is _MISSING:
            instance.__dict__.pop(attname, None)
        else:
            instance.__dict__[attname] = value


def _save_unless_taken(instance: Model, names: tuple[str, ...], using: str,
                       before: dict[str, Any]) -> bool:
    """save() of a new row in a savepoint of its own. Its IntegrityError means the value is
    taken only if a row with it is there; else another rule broke, and it is raised."""
    model = type(instance)
    target = _conflict_fields(model, names)
    try:
        with transaction.atomic(using=using):
            instance.save(using=using, force_insert=True)
    except IntegrityError:
        _restore(instance, before)
        taken = {field.attname: getattr(instance, field.attname) for field in target}
        if (any(value is None for value in taken.values())
                or not model._base_manager.using(using).filter(**taken).exists()):
            raise
        return False
    return True
