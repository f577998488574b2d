"""One error shape for every 4xx answer: {"code", "message", "fields"}.

Codes are stable and meant for clients to branch on; messages are translated.
"""
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule said no. Raised by services; the API turns it into 4xx."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(force_str(message))
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class ServiceUnavailable(ApplicationError):
    """Something the service needs (the database, the task broker) did not answer: 503,
    try again shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    retry_after = 5

    def __init__(self) -> None:
        super().__init__("service.unavailable",
                         gettext_lazy("The service is briefly unavailable. Please try again."))


class RequestTooLarge(ApplicationError):
    """The body is over the upload limit (DATA_UPLOAD_MAX_MEMORY_SIZE and friends): 413."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE

    def __init__(self) -> None:
        super().__init__("request.too_large",
                         gettext_lazy("The request is too large."))


# SQLSTATE 25006: the database accepts reads only (a standby, or default_transaction_read_only).
_READ_ONLY_SQLSTATE = "25006"


def database_unavailable(exc: BaseException) -> bool:
    """The database went away or takes no writes right now: a 503, not a 500. SQLite says
    "attempt to write a readonly database" as an OperationalError; PostgreSQL's read-only
    transaction arrives as an InternalError whose cause carries SQLSTATE 25006."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DatabaseError):
        cause = exc.__cause__
        return getattr(cause, "sqlstate", None) == _READ_ONLY_SQLSTATE
    return False


def error_body(exc: ApplicationError) -> dict[str, Any]:
    return {"code": exc.code, "message": force_str(exc.message), "fields": _plain(exc.fields)}


class ConflictError(ApplicationError):
    """The current state does not allow the action (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT


DRF_CODES = {
    exceptions.NotAuthenticated: "auth.not_authenticated",
    exceptions.AuthenticationFailed: "auth.failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}

FIELD_ERRORS_MESSAGE = gettext_lazy("Please correct the fields marked below.")


def _plain(detail: Any) -> Any:
    """Turn DRF's ErrorDetail trees into plain JSON (strings, lists, dicts); numbers and
    booleans a service put in `fields` (a card's id) stay what they are."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [_plain(item) for item in detail]
    if detail is None or isinstance(detail, (bool, int, float)):
        return detail
    return force_str(detail)


def _first_message(fields: Any, path: str = "") -> tuple[str, str] | None:
    if isinstance(fields, dict):
        for key, value in fields.items():
            sub = f"{path}.{key}" if path else str(key)
            found = _first_message(value, sub)
            if found:
                return found
    elif isinstance(fields, list):
        for index, value in enumerate(fields):
            sub = path if not isinstance(value, (dict, list)) else f"{path}[{index}]"
            found = _first_message(value, sub)
            if found:
                return found
    elif fields:
        return path, str(fields)
    return None


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            code = _first_code(value)
            if code:
                return code
    elif isinstance(detail, list):
        for value in detail:
            code = _first_code(value)
            if code:
                return code
    else:
        return getattr(detail, "code", None)
    return None


def validation_payload(detail: Any) -> dict[str, Any]:
    """The error body for field errors: names the first bad field in the message."""
    if isinstance(detail, list):
        detail = {"non_field_errors": detail}
    fields = _plain(detail)
    first = _first_message(fields)
    message = force_str(FIELD_ERRORS_MESSAGE)
    if first:
        path, text = first
        message = text if path in ("", "non_field_errors") else f"{path}: {text}"
    code = "validation_error"
    # A service-level code travels inside ValidationError(code="reader.consent_required").
    inner = _first_code(detail)
    if inner and "." in inner:
        code = inner
    return {"code": code, "message": message, "fields": fields}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if database_unavailable(exc):
        # The database went away or is read-only: say so cleanly; the transaction was rolled
        # back.
        exc = ServiceUnavailable()
    elif isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        exc = RequestTooLarge()
    if isinstance(exc, ApplicationError):
        headers = ({"Retry-After": str(exc.retry_after)}
                   if isinstance(exc, ServiceUnavailable) else None)
        return Response(error_body(exc), status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        return Response(validation_payload(detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_payload(exc.detail)
        return response
    detail = getattr(exc, "detail", "")
    if isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]  # simplejwt's {"detail", "code", "messages"}: not a repr
    # A stable code travels in the error itself (TokenInvalid: "auth.token_invalid").
    code = getattr(detail, "code", None)
    if not (isinstance(code, str) and "." in code):
        code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), None)
    if code is None:
        code = getattr(exc, "default_code", "error")
    message = force_str(detail) if not isinstance(detail, (dict, list)) else force_str(exc)
    response.data = {"code": code, "message": message, "fields": {}}
    return response
