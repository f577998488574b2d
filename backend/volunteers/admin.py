"""The coordinators' admin for volunteers, with their shifts and absences.

Every save goes through backend.volunteers.services, as the API's do: the profile first,
then each added, changed or deleted shift and absence. A rule a service refuses comes back
as errors on the form (the whole save is rolled back), never as a 500.
"""
from typing import Any

from django import forms
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backend.core.admin_services import ServiceErrorFormMixin, ServiceSavingAdmin
from backend.core.exceptions import ApplicationError
from backend.core.recurrence_picker import RecurrenceField
from backend.readers.forms import PhoneInputField
from backend.readers.models import Language
from backend.volunteers import selectors, services
from backend.volunteers.models import Absence, Shift, Volunteer

EMPTY = "—"
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "phone")


class VolunteerAdminForm(ServiceErrorFormMixin, forms.ModelForm):
    username = forms.CharField(
        label=capfirst(_("username")), max_length=150, required=False,
        help_text=_("For a new account. Leave empty when you choose an existing account above."),
    )
    first_name = forms.CharField(label=capfirst(_("first name")), max_length=150,
                                 required=False)
    last_name = forms.CharField(label=capfirst(_("last name")), max_length=150, required=False)
    phone = PhoneInputField(
        label=capfirst(_("phone")), required=False,
        help_text=_("Any form, e.g. 8 701 123 45 67; kept as +77011234567."),
    )
    languages = forms.MultipleChoiceField(
        label=capfirst(_("languages")), choices=Language.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Volunteer
        fields = ("user", *services.PROFILE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].required = False
            self.fields["user"].queryset = selectors.volunteer_users_without_profile()
            self.fields["user"].help_text = _(
                "An account in the volunteer group without a profile; or fill in the new "
                "account's username and names below."
            )
        user = self.instance.user if self.instance.pk else None
        if user is not None:
            for name in ("first_name", "last_name", "phone"):
                self.initial.setdefault(name, getattr(user, name) or "")
            self.fields.pop("username", None)

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("user") and not cleaned.get("username"):
            self.add_error("username", _("Choose an existing account or give a username."))
        return cleaned


class ShiftInlineForm(forms.ModelForm):
    rrule = RecurrenceField(label=capfirst(_("repeats")),
                            help_text=_("On which days the shift repeats."))

    class Meta:
        model = Shift
        fields = services.SHIFT_FIELDS


class ShiftInline(admin.StackedInline):
    """Shifts with the recurrence picker: the days are chosen, not written as a rule."""

    model = Shift
    form = ShiftInlineForm
    fields = ("rrule", ("starts_on", "ends_on"), ("start_time", "end_time"))
    extra = 0


class AbsenceInline(admin.TabularInline):
    model = Absence
    fields = ("starts_on", "ends_on", "reason")
    extra = 0


@admin.register(Volunteer)
class VolunteerAdmin(ServiceSavingAdmin):
    title_object = pgettext_lazy("admin title object", "volunteer")
    form = VolunteerAdminForm
    inlines = (ShiftInline, AbsenceInline)
    list_display = ("name", "phone", "branch", "transport", "capacity", "max_stops", "active")
    list_filter = ("branch", "transport", "active")
    list_select_related = ("user", "branch")
    list_per_page = 50
    # The search itself is selectors.volunteer_search_q (see get_search_results).
    search_fields = ("user__username",)
    search_help_text = _("Name (any case), username, or phone in any form or its last 7 digits.")
    fieldsets = (
        (_("Account"), {"fields": ("user", "username", ("last_name", "first_name"), "phone")}),
        (_("Volunteer"), {"fields": ("branch", "transport", "speed_kmh", ("capacity", "max_stops"),
                                     "languages", "active", "note")}),
        (_("Start and end of the day"), {
            "fields": (("starts_at", "ends_at"), "home_address", ("home_lat", "home_lon")),
            "description": _("Starting or ending at home needs the home coordinates. The home "
                             "is personal data."),
        }),
    )

    def get_queryset(self, request):
        qs = selectors.volunteer_queryset()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        return queryset.filter(selectors.volunteer_search_q(term)), False

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        # A volunteer leaves by being made inactive (the "active" box), not deleted.
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        account = ("user", ("last_name", "first_name"), "phone")
        return ((fieldsets[0][0], {"fields": account}), *fieldsets[1:])

    @admin.display(description=_("name"), ordering="user__last_name")
    def name(self, obj: Volunteer) -> str:
        return str(obj.user)

    @admin.display(description=_("phone"))
    def phone(self, obj: Volunteer) -> str:
        return str(obj.user.phone) if obj.user.phone else EMPTY

    def save_through_service(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            names = [n for n in form.changed_data if n in services.PROFILE_FIELDS
                     or n in services.USER_FIELDS]
            data = {name: cleaned.get(name) for name in names}
            volunteer = services.volunteer_update(volunteer=form.instance, data=data,
                                                  by=request.user)
        else:
            data: dict[str, Any] = {name: cleaned.get(name) for name in services.PROFILE_FIELDS
                                    if name in cleaned}
            data["user"] = cleaned.get("user")
            for name in ACCOUNT_FIELDS:
                # With an existing account, empty boxes leave its names and phone alone.
                if cleaned.get(name):
                    data[name] = cleaned[name]
            volunteer = services.volunteer_create(data=data, by=request.user)
        for formset in formsets:
            for inline_form in formset.forms:
                self._save_inline(request, volunteer, formset, inline_form)
        return volunteer

    def _save_inline(self, request, volunteer, formset, inline_form) -> None:
        cleaned = getattr(inline_form, "cleaned_data", None) or {}
        instance = inline_form.instance
        deleting = formset.can_delete and formset._should_delete_form(inline_form)
        if not cleaned or (not inline_form.has_changed() and not deleting):
            return
        label = f"{capfirst(formset.model._meta.verbose_name)} {instance.pk or ''}".strip()
        try:
            if formset.model is Shift:
                self._save_shift(request, volunteer, instance, cleaned, deleting,
                                 inline_form.changed_data)
            else:
                self._save_absence(request, volunteer, instance, cleaned, deleting,
                                   inline_form.changed_data)
        except ApplicationError as error:
            # Tell which row: the inline's own fields are not on the main form.
            raise ApplicationError(error.code, f"{label}: {error.message}",
                                   fields=error.fields, status_code=error.status_code) \
                from error

    @staticmethod
    def _save_shift(request, volunteer, instance, cleaned, deleting, changed) -> None:
        if deleting:
            if instance.pk:
                services.shift_remove(shift=instance, by=request.user)
            return
        values = {name: cleaned.get(name) for name in services.SHIFT_FIELDS}
        if instance.pk:
            services.shift_update(shift=instance, by=request.user,
                                  data={n: values[n] for n in changed if n in values})
        else:
            services.shift_add(volunteer=volunteer, by=request.user, **values)

    @staticmethod
    def _save_absence(request, volunteer, instance, cleaned, deleting, changed) -> None:
        if deleting:
            if instance.pk:
                services.absence_remove(absence=instance, by=request.user)
            return
        values = {name: cleaned.get(name) for name in services.ABSENCE_FIELDS}
        values["reason"] = values["reason"] or ""
        if instance.pk:
            services.absence_update(absence=instance, by=request.user,
                                    data={n: values[n] for n in changed if n in values})
        else:
            services.absence_add(volunteer=volunteer, by=request.user, **values)
