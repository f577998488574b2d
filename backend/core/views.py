"""JSON answers for errors outside DRF views under /api/, so clients always get one shape;
the 403 and 404 pages; the pages' JavaScript catalogue; the health checks."""
import secrets

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, server_error
from django.views.i18n import JavaScriptCatalog

from backend.core.exceptions import RequestTooLarge, ServiceUnavailable, error_body
from backend.core.web import own_page


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_error(status: int) -> JsonResponse:
    """The one error shape for a status that no view explained (unknown URL, a body Django
    refused before any view ran, a crash)."""
    if status == 413:
        return JsonResponse(error_body(RequestTooLarge()), status=413)
    if status == 503:
        response = JsonResponse(error_body(ServiceUnavailable()), status=503)
        response["Retry-After"] = str(ServiceUnavailable.retry_after)
        return response
    code, message = {
        400: ("bad_request", _("The request could not be understood.")),
        401: ("auth.not_authenticated", _("Please sign in.")),
        403: ("permission_denied", _("You do not have permission to do this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
    }.get(status, ("server_error" if status >= 500 else "error",
                   _("Something went wrong on our side.") if status >= 500
                   else _("The request could not be understood.")))
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)


def unavailable_page(request: HttpRequest) -> HttpResponse:
    """503 for a page: the database is away or read-only (sign-in writes its lockout)."""
    if is_api(request):
        return api_error(503)
    response = HttpResponse(render_to_string("503.html", request=None), status=503)
    response["Retry-After"] = str(ServiceUnavailable.retry_after)
    return response


def request_refused(request, exception=None):
    if is_api(request):
        too_big = isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent))
        return api_error(413 if too_big else 400)
    return bad_request(request, exception)


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """403 and 404 for a page: in the page's language, in the pages' frame, with a way back
    to the page where this user works (or to sign in, coming back here afterwards). The
    page holds nothing of the query string and no form (no CSRF token), so two refused
    guesses get the same bytes."""
    user = getattr(request, "user", None)
    url, name = own_page(user)
    if user is None or not user.is_authenticated:
        url = f"{url}?{urlencode({'next': request.path})}"
    return render(request, f"{status}.html", {"own_url": url, "own_name": name}, status=status)


def forbidden(request, exception=None):
    if is_api(request):
        return api_error(403)
    return error_page(request, 403)


def not_found(request, exception=None):
    if is_api(request):
        return api_error(404)
    return error_page(request, 404)


def server_failure(request):
    if is_api(request):
        return api_error(500)
    return server_error(request)


class PageCatalog(JavaScriptCatalog):
    """Django's JavaScript catalogue for the pages' scripts (texts and plural rules), in the
    language the page was shown in (`?language=kk`), whatever the cookie says."""

    domain = "djangojs"

    def get(self, request, *args, **kwargs):
        code = request.GET.get("language")
        if code not in dict(settings.LANGUAGES):
            code = translation.get_language()
        with translation.override(code):
            return super().get(request, *args, **kwargs)


def health(request):
    """Liveness: the process answers and the database answers a read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class _Probe(Exception):
    """Ends the readiness check's transaction: the probe row is never kept."""


def health_ready(request):
    """Readiness: the database takes a write. A database that answers reads but refuses
    writes (read-only, a replica, a full disk, a file the service may not write) passes
    /health/ but not this: 503 in the one error shape, so a load balancer sends the
    requests elsewhere. The write is a session row, rolled back.
    """
    try:
        with transaction.atomic():
            Session.objects.create(session_key=f"health-{secrets.token_hex(16)}",
                                   session_data="", expire_date=timezone.now())
            raise _Probe
    except _Probe:
        return JsonResponse({"status": "ok"})
    except DatabaseError:
        return api_error(503)
