"""Admin forms for reader and family cards.

The forms only validate and shape input; the admin hands the result to the services,
which write and keep the card history.
"""
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.core.admin_services import ServiceErrorFormMixin
from backend.core.phones import to_e164
from backend.readers.card_fields import ReaderPreferencesForm, WeekHoursField
from backend.readers.form_checks import ReaderCardChecksMixin
from backend.readers.models import (
    TOO_MANY_PHONES,
    FamilyCard,
    FamilyStatus,
    Reader,
    ReaderPhone,
    too_many_phones,
)
from backend.readers.services import FAMILY_FIELDS, READER_FIELDS


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


class ReaderAdminForm(ReaderCardChecksMixin, ServiceErrorFormMixin, ReaderPreferencesForm,
                      forms.ModelForm):
    availability = WeekHoursField(
        label=capfirst(_("when at home")),
        help_text=_("Up to two windows a day, from and to. An empty grid means any time."),
    )
    caregiver_phone = PhoneInputField(
        label=capfirst(_("caregiver phone")), required=False,
        help_text=_("Any form, e.g. 8 701 123 45 67; kept as +77011234567."),
    )

    class Meta:
        model = Reader
        # `preferences` is assembled from the pref_* fields (ReaderPreferencesForm.clean).
        fields = tuple(name for name in READER_FIELDS if name != "preferences")


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
