from django.db import models
from django.db.models import BooleanField, Expression, F, JSONField, Subquery
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def prefetched_set(instance: models.Model, name: str, rows: list) -> None:
    """Give `instance.<name>.all()` these rows without a query, as `prefetch_related` would
    have read them: for rows the caller has just written, in their order, so that nothing
    reads them back. Filters on the relation (`.filter()`, `.exists()`) still query."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


class RowsJSON(Subquery):
    """A subquery's rows, of one column each, as one JSON array in the subquery's order
    (PostgreSQL only): the rows of a related table read in their owner's own statement,
    where a prefetch is a statement of its own. Each row is typically a `JSONArray` of
    its columns; an owner with no rows gets `[]`."""

    template = "TO_JSONB(ARRAY(%(subquery)s))"

    def __init__(self, queryset, **extra) -> None:
        super().__init__(queryset, output_field=JSONField(), **extra)


class InRows(Expression):
    """`column IN (subquery)`, a condition for `filter()` or `Q()`. On PostgreSQL it is
    `column = ANY(ARRAY(subquery))`: the subquery is read first and the column matched
    through its index, also as one branch of an OR, where `IN (subquery)` makes the
    database test every row of the table against the subquery's rows."""

    conditional = True

    def __init__(self, column: str, queryset) -> None:
        super().__init__(output_field=BooleanField())
        self.column, self.rows = F(column), Subquery(queryset)

    def get_source_expressions(self) -> list:
        return [self.column, self.rows]

    def set_source_expressions(self, expressions) -> None:
        self.column, self.rows = expressions

    def as_sql(self, compiler, connection, template: str = "%s IN %s"):
        column, column_params = compiler.compile(self.column)
        rows, rows_params = compiler.compile(self.rows)  # "(SELECT ...)"
        return template % (column, rows), (*column_params, *rows_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="%s = ANY(ARRAY%s)")
