"""OpenAPI helpers: the one error shape, documented on every endpoint."""
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable code, e.g. order.invalid_transition"),
        "message": serializers.CharField(help_text="Translated, human readable"),
        "fields": serializers.DictField(help_text="Field name -> messages"),
    },
)

_DESCRIPTIONS = {
    400: "Bad input: code validation_error or a business rule's code; fields name what is wrong.",
    401: "No or expired credentials (auth.not_authenticated).",
    403: "The role may not do this (permission_denied).",
    404: "No such object, or not yours (not_found).",
    409: "The current state does not allow it.",
    422: "Idempotency key reused with a different body.",
    429: "Too many attempts (throttled).",
    503: "The database is briefly unavailable (service.unavailable).",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    codes = codes or (400, 401, 403)
    return {c: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[c]) for c in codes}
