"""JSON answers for errors outside DRF views under /api/, so clients always get one shape."""
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error

from backend.core.exceptions import RequestTooLarge, ServiceUnavailable, error_body


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
    from django.template.loader import render_to_string

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


def forbidden(request, exception=None):
    if is_api(request):
        return api_error(403)
    return permission_denied(request, exception)


def not_found(request, exception=None):
    if is_api(request):
        return api_error(404)
    return page_not_found(request, exception)


def server_failure(request):
    if is_api(request):
        return api_error(500)
    return server_error(request)


def health(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
