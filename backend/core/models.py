from django.db import models
from django.db.models import JSONField, Subquery
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
