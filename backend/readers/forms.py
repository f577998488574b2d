"""Admin forms for reader and family cards.

The forms only validate and shape input; the admin hands the result to the services,
which write and keep the card history.
"""
import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.core.admin_services import ServiceErrorFormMixin
from backend.core.phones import to_e164
from backend.readers.form_checks import ReaderCardChecksMixin
from backend.readers.models import (
    TOO_MANY_PHONES,
    FamilyCard,
    FamilyStatus,
    Reader,
    ReaderPhone,
    too_many_phones,
)
from backend.readers.serializers import (
    FORMAT_CHOICES,
    AvailabilitySerializer,
    PreferencesSerializer,
)
from backend.readers.services import FAMILY_FIELDS, READER_FIELDS

PREFERENCES_EXAMPLE = (
    '{"subjects": ["поэзия"], "authors": ["Абай"], "formats": ["large_print"], '
    '"languages": ["kk"], "never_send": ["978-601-..."]}'
)
AVAILABILITY_EXAMPLE = '[{"weekday": 1, "start": "10:00", "end": "13:00"}]'


def _interpolate(message, values: dict) -> str:
    return str(message) % values


# Help texts are built when the module loads; this keeps them in the reader's language.
interpolate_lazy = lazy(_interpolate, str)


def _flatten_errors(errors: Any, path: str = "") -> list[str]:
    """DRF's nested error tree as lines a librarian can read: `formats[0]: ...`."""
    if isinstance(errors, dict):
        lines = []
        for key, value in errors.items():
            sub = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            lines.extend(_flatten_errors(value, sub))
        return lines
    if isinstance(errors, list):
        if all(not isinstance(item, (dict, list)) for item in errors):
            return [f"{path}: {item}" if path else str(item) for item in errors]
        lines = []
        for index, item in enumerate(errors):
            if item:
                lines.extend(_flatten_errors(item, f"{path}[{index}]"))
        return lines
    return [f"{path}: {errors}" if path else str(errors)]


class ReadableJSONField(forms.JSONField):
    """JSON in a roomy textarea, indented, with Cyrillic and Kazakh letters as they are."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 6, "cols": 90, "class": "vLargeTextField",
                                            "spellcheck": "false"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        if value in (None, "", {}, []):
            return ""
        return json.dumps(value, ensure_ascii=False, indent=2)

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            new = self.to_python(data)
        except ValidationError:
            return True

        def plain(value):
            return None if value in (None, "", {}, []) else value

        return json.dumps(plain(initial), sort_keys=True) != json.dumps(plain(new), sort_keys=True)


class PhoneInputField(forms.CharField):
    """A phone in any form a caller says it; stored and shown in E.164 (KZ by default)."""

    default_error_messages = {
        "invalid_phone": _("Enter a valid phone number, e.g. 8 701 123 45 67."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "" if value in (None, "") else str(value)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return ""
        number = to_e164(text)
        if number is None:
            raise ValidationError(self.error_messages["invalid_phone"], code="invalid_phone")
        return number

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != ("" if initial in (None, "") else str(initial))
        except ValidationError:
            return True


class ReaderAdminForm(ReaderCardChecksMixin, ServiceErrorFormMixin, forms.ModelForm):
    preferences = ReadableJSONField(
        label=capfirst(_("preferences")),
        help_text=interpolate_lazy(
            _("An object; every key is optional. Example: %(example)s. "
              "Formats: %(formats)s. Languages: kk, ru."),
            {"example": PREFERENCES_EXAMPLE,
             "formats": ", ".join(code for code, _label in FORMAT_CHOICES)},
        ),
    )
    availability = ReadableJSONField(
        label=capfirst(_("when at home")),
        help_text=interpolate_lazy(
            _("A list of time windows; weekday 0 = Monday ... 6 = Sunday, times as HH:MM. "
              "Example: %(example)s. Empty means any time."),
            {"example": AVAILABILITY_EXAMPLE},
        ),
    )
    caregiver_phone = PhoneInputField(
        label=capfirst(_("caregiver phone")), required=False,
        help_text=_("Any form, e.g. 8 701 123 45 67; kept as +77011234567."),
    )

    class Meta:
        model = Reader
        fields = READER_FIELDS

    def clean_preferences(self) -> dict:
        value = self.cleaned_data.get("preferences")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(_("Expected an object, like %(example)s.")
                                  % {"example": PREFERENCES_EXAMPLE}, code="invalid")
        serializer = PreferencesSerializer(data=value)
        if not serializer.is_valid():
            raise ValidationError(_flatten_errors(serializer.errors), code="invalid")
        unknown = sorted(set(value) - set(serializer.fields))
        if unknown:
            raise ValidationError(
                _("Unknown keys: %(keys)s.") % {"keys": ", ".join(unknown)}, code="invalid"
            )
        # Keep only the keys given, so an untouched card does not gain empty lists.
        return {key: list(items) for key, items in serializer.validated_data.items()
                if key in value}

    def clean_availability(self) -> list:
        value = self.cleaned_data.get("availability")
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValidationError(_("Expected a list, like %(example)s.")
                                  % {"example": AVAILABILITY_EXAMPLE}, code="invalid")
        serializer = AvailabilitySerializer(data=value, many=True)
        if not serializer.is_valid():
            raise ValidationError(_flatten_errors(serializer.errors), code="invalid")
        return [dict(window) for window in serializer.validated_data]


class ReaderPhoneForm(forms.ModelForm):
    number = PhoneInputField(label=capfirst(_("number")))

    class Meta:
        model = ReaderPhone
        fields = ("number", "kind", "sms_ok")

    def validate_unique(self):
        # The service replaces the phones as a whole; repeats within the form are caught
        # by the formset, and a swap between two rows is not a conflict.
        return


class ReaderPhoneFormSet(forms.BaseInlineFormSet):
    """The card's phones in the admin: the same limit as the API and the import."""

    def clean(self):
        super().clean()
        kept = [form for form in self.forms
                if getattr(form, "cleaned_data", None) and form.cleaned_data.get("number")
                and not (self.can_delete and form.cleaned_data.get("DELETE"))]
        message = too_many_phones(len(kept))
        if message:
            raise ValidationError(message, code=TOO_MANY_PHONES)


class FamilyCardAdminForm(ServiceErrorFormMixin, forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        label=capfirst(_("members")), queryset=Reader.objects.all(), required=False,
        widget=AutocompleteSelectMultiple(FamilyCard._meta.get_field("head"), admin.site),
        help_text=_("Search by name, card number or phone. A reader can be on one open "
                    "family card only. The head of household is added automatically."),
    )

    class Meta:
        model = FamilyCard
        fields = (*FAMILY_FIELDS, "head", "status")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "members" in self.fields and self.instance.pk:
            self.initial.setdefault("members", [r.pk for r in self.instance.members.all()])
        if "status" in self.fields and not self.instance.pk:
            self.fields["status"].initial = FamilyStatus.OPEN
