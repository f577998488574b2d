"""Serializer fields every app uses.

Query parameters (a list's filters, a report's period, a window of days) are read one way:
a `...FilterSerializer` beside the view, `is_valid(raise_exception=True)` on
`request.query_params` (a bad value is 400 in the one error shape, naming the parameter; a
date is a BoundedDateField), its `validated_data` handed to a selector, which owns the query;
`extend_schema(parameters=[...FilterSerializer])` documents it. No FilterSets.
"""
import copy

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.core.dates import OUT_OF_RANGE, DateRange
from backend.core.phones import to_e164


def _field_copy(field: serializers.Field) -> serializers.Field:
    """A field made again from what it was given, as DRF's deep copy makes it, but with
    what it only reads shared: its choices (the field keeps them in dicts of its own), a
    queryset (a field reads a fresh `.all()` of it each time), texts and numbers. A nested
    serializer, and a list or dict given (e.g. a default), are copied deep as DRF does."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)

    def kept(key: str, value):
        if key in ("choices", "validators", "regex") or isinstance(value, QuerySet):
            return value
        if isinstance(value, (list, dict, set, serializers.Field)):
            return copy.deepcopy(value)
        return value

    return field.__class__(*[kept("", arg) for arg in field._args],
                           **{key: kept(key, value) for key, value in field._kwargs.items()})


# For a serializer made at every request of a hot path: its fields made again for each
# instance (each is bound to it) without deep-copying their choices and querysets, which
# costs more than the validation itself. For serializers whose fields nothing changes after
# they are made (DRF copies them deep so that an instance may). No docstring: the schema
# would take it for the description of every serializer that has none of its own.
class FieldsCopiedLean:
    def get_fields(self):
        return {name: _field_copy(field) for name, field in self._declared_fields.items()}


class PhoneField(serializers.CharField):
    """Takes a phone in any form a caller says; gives E.164. KZ is the default region."""

    default_error_messages = {
        "invalid_phone": _("Enter a valid phone number, e.g. 8 701 123 45 67."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if text == "" and self.allow_blank:
            return ""
        number = to_e164(text)
        if number is None:
            self.fail("invalid_phone")
        return number

    def to_representation(self, value):
        return str(value) if value else ""


# The largest id a bigint column (and SQLite's INTEGER) holds; a bigger number in a filter
# would not reach the database as a number at all.
MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    """An object's id in a filter or a list of ids: a positive number a database id can be."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class BoundedDateField(serializers.DateField):
    """A date within a range that fits its meaning (backend/core/dates.py): out of it, 400
    `date.out_of_range` naming the field, before any arithmetic on the date can overflow."""

    def __init__(self, *, bounds: DateRange, **kwargs):
        self.bounds = bounds
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        message = self.bounds.problem(day)
        if message:
            raise serializers.ValidationError(message, code=OUT_OF_RANGE)
        return day


class BoundedDateTimeField(serializers.DateTimeField):
    """A moment whose day (as written) is within the range, as BoundedDateField."""

    def __init__(self, *, bounds: DateRange, **kwargs):
        self.bounds = bounds
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        # Checked before the zone is applied: DRF's own check of year 1 overflows.
        message = self.bounds.problem(value.date())
        if message:
            raise serializers.ValidationError(message, code=OUT_OF_RANGE)
        return super().enforce_timezone(value)
