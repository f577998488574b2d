"""The librarians' admin for reader cards and family cards (librarians only: see
backend/core/admin_site.py; other roles read cards through the API and the pages).

Every save goes through backend.readers.services, as the API does (backend/core/
admin_services.py), so the card history (CardChange) names the admin user and the rules
(consent, one open family) hold. A rule the service refuses comes back as errors on the
form, never as a 500. The history panel and the history and access-log lists are in
backend/readers/admin_history.py; apps above readers add read-only sections to the reader's
card with `ReaderAdmin.add_section` (routing: the volunteers' concerns).
"""
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from backend.core.admin_services import ServiceSavingAdmin
from backend.core.admin_site import ReaderDataMixin
from backend.notifications.selectors import reader_voice_mode
from backend.readers import selectors, services
from backend.readers.admin_history import EMPTY, card_history_context
from backend.readers.admin_place import CardPlaceAdminMixin
from backend.readers.form_checks import ReaderCategoryFilter, consent_note
from backend.readers.forms import (
    FamilyCardAdminForm,
    ReaderAdminForm,
    ReaderPhoneForm,
    ReaderPhoneFormSet,
)
from backend.readers.models import (
    MAX_PHONES,
    CardAccess,
    FamilyCard,
    FamilyStatus,
    PhoneKind,
    Reader,
    ReaderPhone,
)


class CardAdmin(ServiceSavingAdmin):
    """A reader's or a family card: saved through the services, shown with its history,
    each opening written down (CardAccess), never deleted."""

    change_form_template = "admin/readers/card_change_form.html"
    object_history_template = "admin/readers/card_object_history.html"

    def has_delete_permission(self, request, obj=None) -> bool:
        # Cards are closed, not deleted: deleting would take their history with them.
        return False

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), **self.history_context(request, object_id)}
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **self.history_context(request, object_id)}
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                self.record_access(request, obj)
        return response

    def history_context(self, request, object_id) -> dict[str, Any]:
        return {}

    def record_access(self, request, obj) -> None:
        """Write down that the card was opened (CardAccess); cards say how."""


def admin_list_action(request) -> str:
    from django.contrib.admin.views.main import SEARCH_VAR

    return CardAccess.Action.SEARCH if request.GET.get(SEARCH_VAR) else CardAccess.Action.LIST


# Readers ---------------------------------------------------------------------------------------


class ReaderPhoneInline(admin.TabularInline):
    model = ReaderPhone
    form = ReaderPhoneForm
    formset = ReaderPhoneFormSet
    max_num = MAX_PHONES  # the "add another" link stops there; the formset refuses more
    fields = ("number", "kind", "sms_ok")
    extra = 1
    ordering = ("position", "id")
    verbose_name = _("phone")
    verbose_name_plural = _("phones (stored as +7XXXXXXXXXX; any form is accepted)")


DOCUMENT_FIELDSET_NAME = "document"


READER_FIELDSETS = (
    (_("Reader"), {"fields": (
        "card_number", ("last_name", "first_name", "patronymic"), "birth_date",
        "confirm_duplicate",
        "category", "categories", "status", "branch", "family_membership", "closed_at",
    )}),
    (_("Contact"), {
        "fields": ("language", "phone_list"),
        "description": _("Phones are edited in the table below the form."),
    }),
    (_("Address"), {"fields": (
        "settlement", "street", ("house", "apartment"), ("lat", "lon"),
    )}),
    (_("For volunteers"), {"fields": (
        ("entrance", "floor"), ("door_code", "elevator"), "landmark", "access_notes",
    )}),
    (_("Preferences"), {"fields": (
        "pref_subjects", "pref_authors", "pref_formats", "pref_languages", "pref_never_send",
    )}),
    (_("When at home"), {"fields": ("availability",)}),
    (_("Caregiver"), {"fields": ("caregiver_name", "caregiver_relation", "caregiver_phone")}),
    (_("Messages"), {"fields": ("contact_channel", "messages_opt_out_at", "voice_calls")}),
    (_("Eligibility document"), {
        "fields": ("document_type", "document_number", "document_valid_until"),
        "description": _("Sensitive personal data: seen by librarians only."),
        "classes": (DOCUMENT_FIELDSET_NAME,),
    }),
    (_("Consent"), {"fields": ("consent_date", "consent_recorded_by")}),
    (_("Record"), {
        "fields": ("created_by", "created_at", "updated_at"),
        "classes": ("collapse",),
    }),
)


@admin.register(Reader)
class ReaderAdmin(CardPlaceAdminMixin, ReaderDataMixin, CardAdmin):
    title_object = pgettext_lazy("admin title object", "reader")
    form = ReaderAdminForm
    inlines = (ReaderPhoneInline,)

    def record_access(self, request, obj) -> None:
        services.card_access_record(request=request, readers=[obj],
                                    action=CardAccess.Action.VIEW,
                                    channel=CardAccess.Channel.ADMIN)

    def get_changelist_instance(self, request):
        """The list shows cards too: one access-log row naming the page's readers."""
        changelist = super().get_changelist_instance(request)
        services.card_access_record(request=request, readers=list(changelist.result_list),
                                    action=admin_list_action(request),
                                    channel=CardAccess.Channel.ADMIN)
        return changelist
    list_display = (
        "card_number", "full_name_display", "category", "status", "branch", "settlement",
        "family_card", "main_phone",
    )
    list_display_links = ("card_number", "full_name_display")
    list_filter = (
        "status", ReaderCategoryFilter, "branch", "language",
        ("settlement", admin.AllValuesFieldListFilter),
    )
    list_select_related = ("branch", "family_card")
    list_per_page = 50
    # The search itself is selectors.reader_search (see get_search_results); a
    # search field only makes the admin show the box and allow autocomplete.
    search_fields = ("card_number",)
    search_help_text = _(
        "Name however it is typed (Kazakh letters or not, Latin, one typo), card number, or "
        "phone in any form or its last 7 digits."
    )
    readonly_fields = (
        "card_number", "family_membership", "phone_list", "closed_at", "consent_recorded_by",
        "created_by", "created_at", "updated_at", "messages_opt_out_at", "voice_calls",
    )
    fieldsets = READER_FIELDSETS

    @admin.display(description=_("Calls"))
    def voice_calls(self, obj):
        return reader_voice_mode(reader_id=obj.pk) or EMPTY

    @classmethod
    def add_section(cls, title, *, field: str, display: Callable[[Any, Reader], str],
                    description="") -> None:
        """Show `display(admin, reader)` read-only in a section of its own, before the
        card's record: for apps above readers, which the card does not import."""
        setattr(cls, field, display)
        cls.readonly_fields = (*cls.readonly_fields, field)
        section = (title, {"fields": (field,), "description": description})
        cls.fieldsets = (*cls.fieldsets[:-1], section, cls.fieldsets[-1])

    def get_queryset(self, request):
        qs = selectors.reader_queryset().select_related("created_by")
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_search_results(self, request, queryset, search_term):
        from django.contrib.admin.views.main import ORDER_VAR

        term = (search_term or "").strip()
        if not term:
            return queryset, False
        # Phones are matched in a subquery: no reader is listed twice. The best matches
        # come first (as typed, folded, one typo) unless a column is sorted.
        found = selectors.reader_search(queryset, term)
        if request.GET.get(ORDER_VAR):
            found = found.order_by(*queryset.query.order_by)
        return found, False

    def history_context(self, request, object_id):
        return card_history_context(request, reader_id=object_id)

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name_display(self, obj: Reader) -> str:
        return obj.full_name

    @admin.display(description=_("main phone"))
    def main_phone(self, obj: Reader) -> str:
        phones = list(obj.phones.all())
        return str(phones[0].number) if phones else EMPTY

    @admin.display(description=_("phones"))
    def phone_list(self, obj: Reader) -> str:
        if obj.pk is None:
            return EMPTY
        kinds = dict(PhoneKind.choices)
        phones = list(obj.phones.all())
        if not phones:
            return EMPTY
        return format_html_join(
            ", ", "{} ({})",
            ((str(p.number), kinds.get(p.kind, p.kind)) for p in phones),
        )

    @admin.display(description=_("family card"))
    def family_membership(self, obj: Reader) -> str:
        family = obj.family_card if obj.pk else None
        if family is None:
            return EMPTY
        url = reverse("admin:readers_familycard_change", args=[family.pk])
        notes = []
        if family.head_id == obj.pk:
            notes.append(gettext("head of household"))
        if family.status != FamilyStatus.OPEN:
            notes.append(family.get_status_display())
        suffix = f" ({', '.join(notes)})" if notes else ""
        return format_html('<a href="{}">{}</a>{}', url, str(family), suffix)

    def save_through_service(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        names = form.changed_data if change else list(cleaned)
        data = {name: cleaned[name] for name in names
                if name in services.READER_FIELDS and name in cleaned}
        phones = next((fs for fs in formsets if fs.model is ReaderPhone), None)
        if phones is not None and (not change or phones.has_changed()):
            data["phones"] = self._phones_from(phones)
        if "categories" in cleaned and (not change or "categories" in form.changed_data):
            data["categories"] = cleaned["categories"]
        refuse = not cleaned.get("confirm_duplicate")
        if change:
            return services.reader_update(reader=form.instance, data=data, by=request.user,
                                          refuse_duplicates=refuse)
        reader = services.reader_create(data=data, by=request.user, refuse_duplicates=refuse)
        consent_note(request, reader)
        return reader

    @staticmethod
    def _phones_from(formset) -> list[dict[str, Any]]:
        rows = []
        for form in formset.forms:
            cleaned = getattr(form, "cleaned_data", None) or {}
            if not cleaned.get("number") or (formset.can_delete and cleaned.get("DELETE")):
                continue
            rows.append({
                "number": cleaned["number"],
                "kind": cleaned.get("kind") or PhoneKind.MOBILE,
                "sms_ok": bool(cleaned.get("sms_ok")),
            })
        return rows


# Family cards ----------------------------------------------------------------------------------


@admin.register(FamilyCard)
class FamilyCardAdmin(CardPlaceAdminMixin, ReaderDataMixin, CardAdmin):
    title_object = pgettext_lazy("admin title object", "family card")
    form = FamilyCardAdminForm

    def record_access(self, request, obj) -> None:
        services.card_access_record(request=request, family_cards=[obj],
                                    action=CardAccess.Action.VIEW,
                                    channel=CardAccess.Channel.ADMIN)

    def get_changelist_instance(self, request):
        """The list names the families and their members: one access-log row for them."""
        changelist = super().get_changelist_instance(request)
        families = list(changelist.result_list)
        members = Reader.objects.filter(family_card__in=families).values_list("pk", flat=True)
        services.card_access_record(request=request, family_cards=families,
                                    readers=list(members) if families else [],
                                    action=admin_list_action(request),
                                    channel=CardAccess.Channel.ADMIN)
        return changelist
    list_display = (
        "number", "name", "head", "member_names", "branch", "settlement", "status",
        "loan_limit",
    )
    list_display_links = ("number", "name")
    list_filter = ("status", "branch")
    list_select_related = ("branch", "head")
    search_fields = ("number",)
    search_help_text = _("A member's name, card number or phone, or the family card number.")
    autocomplete_fields = ("head",)
    readonly_fields = ("number", "member_list", "closed_at", "created_at", "updated_at")
    fieldsets = (
        (_("Family card"), {"fields": (
            "number", "name", "branch", "status", "loan_limit", "closed_at",
        )}),
        (_("Members"), {"fields": ("head", "members", "member_list")}),
        (_("Address"), {"fields": (
            "settlement", "street", ("house", "apartment"), ("lat", "lon"),
        )}),
        (_("For volunteers"), {"fields": (
            ("entrance", "floor"), ("door_code", "elevator"), "landmark", "access_notes",
        )}),
        (_("Record"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        qs = selectors.family_card_queryset()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        by_member = selectors.family_card_list(filters={"q": term}).values("pk")
        phone = selectors.phone_query(term)
        condition = Q(pk__in=by_member) | Q(number__iendswith=term)
        if phone is not None and not any(ch.isalpha() for ch in term):
            by_phone = Reader.objects.filter(phone).values("family_card_id")
            condition |= Q(pk__in=by_phone)
        return queryset.filter(condition), False

    def get_fieldsets(self, request, obj=None):
        can_edit = (self.has_change_permission(request, obj) if obj is not None
                    else self.has_add_permission(request))
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = []
            for field in options["fields"]:
                if obj is None and field in ("number", "status", "closed_at", "member_list"):
                    continue
                if field == "members" and not can_edit:
                    continue
                if obj is None and options.get("classes") == ("collapse",):
                    continue
                fields.append(field)
            if fields:
                fieldsets.append((name, {**options, "fields": tuple(fields)}))
        return fieldsets

    def history_context(self, request, object_id):
        return card_history_context(request, family_id=object_id)

    @admin.display(description=_("members"))
    def member_names(self, obj: FamilyCard) -> str:
        return ", ".join(r.full_name for r in obj.members.all()) or EMPTY

    @admin.display(description=_("members now"))
    def member_list(self, obj: FamilyCard) -> str:
        members = list(obj.members.all()) if obj.pk else []
        if not members:
            return EMPTY
        head = gettext("head of household")
        return format_html(
            "<ul class='kniga-members'>{}</ul>",
            format_html_join(
                "", "<li><a href='{}'>{}</a> {}{}</li>",
                (
                    (reverse("admin:readers_reader_change", args=[r.pk]), r.card_number,
                     r.full_name, f" — {head}" if r.pk == obj.head_id else "")
                    for r in members
                ),
            ),
        )

    def save_through_service(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        names = form.changed_data if change else list(cleaned)
        wanted = {*services.FAMILY_FIELDS, "head", "status"}
        data = {name: cleaned[name] for name in names if name in wanted and name in cleaned}
        if "members" in cleaned and (not change or "members" in form.changed_data):
            data["members"] = [reader.pk for reader in cleaned["members"]]
        if change:
            return services.family_card_update(family=form.instance, data=data, by=request.user)
        return services.family_card_create(data=data, by=request.user)
