from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """{"count", "next", "previous", "results"}; ?page_size= up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        # A page that is not a number, or past the last one, is a bad parameter: 400 naming
        # it, like every other bad query parameter (DRF says 404, which reads as "no such list").
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [exc.detail]}) from exc
