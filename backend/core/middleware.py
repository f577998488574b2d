"""Errors answered the same way on every path, whatever raised them and whatever DEBUG says."""
from django.http import HttpRequest, HttpResponse

from backend.core.exceptions import database_unavailable
from backend.core.views import api_error, is_api, unavailable_page


class ErrorShapeMiddleware:
    """Outermost: under /api/ every error answer is the one JSON shape (an unknown URL, an
    over-size body refused before a view, DEBUG's technical pages), and a database outage in
    a page (the sign-in form writes its lockout counters) is a 503, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (is_api(request) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            replaced = api_error(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if database_unavailable(exception):
            return unavailable_page(request)
        return None
