"""OpenAPI helpers: the one error shape, documented on every endpoint."""
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

# A time of day on the branch's wall clock: "09:00" or "09:00:00", no offset.
TIME_OF_DAY_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"


class TimeOfDayFieldExtension(OpenApiSerializerFieldExtension):
    """Windows and shifts are local times without an offset. OpenAPI's `format: time` is an
    RFC 3339 full-time that needs one (09:00:00+05:00), so clients validating against it would
    reject every answer; say what we really send and take instead."""

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": TIME_OF_DAY_PATTERN, "example": "09:00"}


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
    415: "The body is in a media type this operation does not read (unsupported_media_type).",
    422: "Idempotency key reused with a different body.",
    429: "Too many attempts (throttled).",
    503: "The database or the task broker is briefly unavailable (service.unavailable).",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    codes = codes or (400, 401, 403)
    return {c: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[c]) for c in codes}


def document_unsupported_media_type(result, generator, request, public):
    """Every operation that reads a body answers 415 to one it cannot read (DRF's parsers take
    JSON, forms and multipart): said here once rather than at each of them."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["responses"].setdefault("415", {
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}},
                    "description": _DESCRIPTIONS[415],
                })
    return result
