"""JSON answers for errors outside DRF views under /api/, so clients always get one shape;
the health checks."""
import secrets

from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found, server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": _("Not found."), "fields": {}}, status=404
        )
    return page_not_found(request, exception)


def server_failure(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "server_error", "message": _("Something went wrong on our side."),
             "fields": {}},
            status=500,
        )
    return server_error(request)


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
    from django.contrib.sessions.models import Session

    from backend.core.exceptions import ServiceUnavailable

    try:
        with transaction.atomic():
            Session.objects.create(session_key=f"health-{secrets.token_hex(16)}",
                                   session_data="", expire_date=timezone.now())
            raise _Probe
    except _Probe:
        return JsonResponse({"status": "ok"})
    except DatabaseError:
        unavailable = ServiceUnavailable()
        return JsonResponse(
            {"code": unavailable.code, "message": str(unavailable.message), "fields": {}},
            status=unavailable.status_code,
            headers={"Retry-After": str(unavailable.retry_after)},
        )
