from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

# The number of rows a query finds, on each of its rows (`counted_with_rows`).
ROWS_TOTAL = "rows_total"


def counted_with_rows(queryset: QuerySet) -> QuerySet:
    """`queryset` with the number of its rows on each row (a window count), so that a full
    page says how many there are too, with no COUNT query. Only for a query whose rows
    are one an object before any DISTINCT: grouped by it (aggregates), or with no join that
    repeats rows; the count is taken before DISTINCT."""
    return queryset.annotate(**{ROWS_TOTAL: Window(Count("*"))})


class RowsFirstPaginator(Paginator):
    """Reads the page's rows first and counts only when it must: a page that is not full
    (the last one, or the only one, as most searches are) says how many there are, and so
    does a full one of a query `counted_with_rows`, so the COUNT query (for a search: the
    search again, over every match) is left out. An empty page past the first, or a full
    one of another query, is counted as before; the pages and errors are the same."""

    def page(self, number):
        try:
            wanted = int(number) if not isinstance(number, float) else 0
        except (TypeError, ValueError):
            wanted = 0
        if wanted < 1 or "count" in self.__dict__ or self.orphans:
            return super().page(number)
        bottom = (wanted - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page])
        if 0 < len(rows) < self.per_page or (wanted == 1 and not rows):
            self.__dict__["count"] = bottom + len(rows)  # the cached_property's value
        elif rows and hasattr(rows[0], ROWS_TOTAL):
            self.__dict__["count"] = getattr(rows[0], ROWS_TOTAL)
        return self._get_page(rows, self.validate_number(wanted), self)


class PageNumberPagination(pagination.PageNumberPagination):
    """{"count", "next", "previous", "results"}; ?page_size= up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = RowsFirstPaginator

    def paginate_queryset(self, queryset, request, view=None):
        # A page that is not a number, or past the last one, is a bad parameter: 400 naming
        # it, like every other bad query parameter (DRF says 404, which reads as "no such list").
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [exc.detail]}) from exc
