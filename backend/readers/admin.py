"""The librarians' admin for reader cards and family cards (librarians only: see
backend/core/admin_site.py; other roles read cards through the API and the pages).

Every save goes through backend.readers.services, as the API does, so the card history
(CardChange) names the admin user and the rules (consent, one open family) hold. A rule
the service refuses comes back as errors on the form, never as a 500.
"""
import json
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Prefetch, Q
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.branches.models import Branch
from backend.core.admin_site import (
    ReaderDataAdmin,
    ReaderDataMixin,
    StrictModelAdmin,
    can_see_reader_data_in_admin,
)
from backend.core.exceptions import ApplicationError
from backend.readers import selectors, services
from backend.readers.forms import (
    FamilyCardAdminForm,
    ReaderAdminForm,
    ReaderPhoneForm,
    ReaderPhoneFormSet,
)
from backend.readers.models import (
    MAX_PHONES,
    CardAccess,
    CardChange,
    FamilyCard,
    FamilyStatus,
    PhoneKind,
    Reader,
    ReaderPhone,
)
from backend.readers.serializers import hidden_history_fields

EMPTY = "—"
HISTORY_LIMIT = 100
# History rows list fields in the order the card shows them.
FIELD_ORDER = {
    name: index for index, name in enumerate(dict.fromkeys((
        *services.READER_FIELDS, "phones", "family_card", *services.FAMILY_FIELDS, "status",
        "head", "members",
    )))
}


# Card history ------------------------------------------------------------------------------


EXTRA_LABELS = {"phones": _("phones"), "members": _("members")}


def _field_label(model: type[Model], name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name


def _references(changes: list[CardChange]) -> dict[str, dict[int, str]]:
    """Names for the ids a history mentions, in one query per kind."""
    ids: dict[str, set[int]] = {"branch": set(), "family_card": set(), "reader": set()}
    for change in changes:
        for field, pair in change.changes.items():
            for value in pair:
                if field in ("branch", "family_card", "head") and isinstance(value, int):
                    ids["reader" if field == "head" else field].add(value)
                elif field == "members" and isinstance(value, list):
                    ids["reader"].update(v for v in value if isinstance(v, int))
    refs: dict[str, dict[int, str]] = {"branch": {}, "family_card": {}, "reader": {}}
    if ids["branch"]:
        refs["branch"] = dict(Branch.objects.filter(pk__in=ids["branch"])
                              .values_list("pk", "name"))
    if ids["family_card"]:
        refs["family_card"] = dict(FamilyCard.objects.filter(pk__in=ids["family_card"])
                                   .values_list("pk", "number"))
    if ids["reader"]:
        refs["reader"] = {
            r.pk: f"{r.full_name} ({r.card_number})"
            for r in Reader.objects.filter(pk__in=ids["reader"]).only(
                "pk", "last_name", "first_name", "patronymic", "card_number"
            )
        }
    return refs


def _show_phone(phone: dict) -> str:
    kinds = dict(PhoneKind.choices)
    notes = [str(kinds.get(phone.get("kind"), phone.get("kind") or ""))]
    if not phone.get("sms_ok", True):
        notes.append(gettext("no SMS"))
    return f"{phone.get('number')} ({', '.join(notes)})"


def _show(model: type[Model], field: str, value: Any, refs: dict,
          hidden: frozenset[str]) -> str:
    """One history value as a librarian reads it; `hidden` fields as ***."""
    if field in hidden:
        return "***" if value else EMPTY
    if value in (None, "", [], {}):
        return EMPTY
    if field == "phones" and isinstance(value, list):
        return ", ".join(_show_phone(p) for p in value if isinstance(p, dict))
    if field == "branch":
        return refs["branch"].get(value, f"#{value}")
    if field == "family_card":
        return refs["family_card"].get(value, f"#{value}")
    if field == "head":
        return refs["reader"].get(value, f"#{value}")
    if field == "members" and isinstance(value, list):
        return ", ".join(refs["reader"].get(v, f"#{v}") for v in value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    try:
        choices = dict(model._meta.get_field(field).flatchoices)
    except FieldDoesNotExist:
        choices = {}
    return str(choices.get(value, value))


def _ordered_changes(change: CardChange) -> list[tuple[str, Any, Any]]:
    """(field, old, new) in the order the card shows its fields."""
    rows = []
    for field, pair in (change.changes or {}).items():
        old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        rows.append((field, old, new))
    return sorted(rows, key=lambda row: (FIELD_ORDER.get(row[0], len(FIELD_ORDER)), row[0]))


def history_rows(request, changes: list[CardChange]) -> list[dict[str, Any]]:
    """CardChange rows for display; what the viewer's role does not see on a card (the
    document, for a coordinator also the birth date, category...) is masked."""
    hidden = hidden_history_fields(request.user)
    refs = _references(changes)
    rows = []
    for change in changes:
        model = Reader if change.reader_id else FamilyCard
        created = change.action in (CardChange.Action.CREATED, CardChange.Action.IMPORTED)
        fields = []
        for field, old, new in _ordered_changes(change):
            if created and new in (None, "", [], {}):
                continue
            fields.append({
                "name": field,
                "label": _field_label(model, field),
                "old": _show(model, field, old, refs, hidden),
                "new": _show(model, field, new, refs, hidden),
            })
        rows.append({
            "at": change.at,
            "actor": str(change.actor) if change.actor else EMPTY,
            "action": change.get_action_display(),
            "created": created,
            "fields": fields,
        })
    return rows


def card_history_context(request, *, reader_id=None, family_id=None) -> dict[str, Any]:
    try:
        pk = int(unquote(str(reader_id if reader_id is not None else family_id)))
    except (TypeError, ValueError):
        return {}
    if reader_id is not None:
        qs = selectors.card_history(reader=Reader(pk=pk))
        lookup = "reader__id__exact"
    else:
        qs = selectors.card_history(family=FamilyCard(pk=pk))
        lookup = "family_card__id__exact"
    changes = list(qs[: HISTORY_LIMIT + 1])
    more_url = None
    if len(changes) > HISTORY_LIMIT and CardChangeAdmin.viewer_allowed(request):
        more_url = f"{reverse('admin:readers_cardchange_changelist')}?{lookup}={pk}"
    return {
        "card_history": history_rows(request, changes[:HISTORY_LIMIT]),
        "card_history_more": len(changes) > HISTORY_LIMIT,
        "card_history_more_url": more_url,
    }


# Saving through the services -----------------------------------------------------------------


class ServiceRejected(Exception):
    """Carries a service's refusal out of the admin's transaction, which then rolls back."""

    def __init__(self, error: ApplicationError) -> None:
        super().__init__(str(error))
        self.error = error


class ServiceSavingAdmin(StrictModelAdmin):
    """A ModelAdmin whose add and change forms write through a service function.

    `save_model` writes nothing; `save_related` gathers the form and its inlines and calls
    `save_through_service` once. When the service refuses, the admin's transaction is
    rolled back and the form is shown again with the service's messages on its fields.
    """

    change_form_template = "admin/readers/card_change_form.html"
    object_history_template = "admin/readers/card_object_history.html"

    def save_through_service(self, request, form, formsets, change: bool) -> Model:
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # Nothing was written (the view's transaction rolled back). Show the same form
            # again; this time its validation reports what the service said.
            request._kniga_service_error = rejected.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, "_kniga_service_error", None)
        if error is not None:
            form = type(form.__name__, (form,), {"service_error": error})
        return form

    def save_model(self, request, obj, form, change):
        """Written in save_related, together with the inlines, by the service."""

    def save_related(self, request, form, formsets, change):
        try:
            saved = self.save_through_service(request, form, formsets, change)
        except ApplicationError as error:
            raise ServiceRejected(error) from error
        except ValidationError as error:
            fields = error.message_dict if hasattr(error, "error_dict") else {}
            message = "; ".join(error.messages)
            raise ServiceRejected(ApplicationError("validation_error", message, fields=fields)) \
                from error
        # The admin goes on with form.instance (log entry, redirect): make it the saved row.
        for field in saved._meta.concrete_fields:
            setattr(form.instance, field.attname, getattr(saved, field.attname))
        form.instance._state.adding = False
        form.instance._state.db = saved._state.db

    def construct_change_message(self, request, form, formsets, add=False):
        """Django's own History: which fields changed (the card history has the values)."""
        if add:
            return [{"added": {}}]
        with translation.override(None):
            names = [str(form.fields[name].label or name) for name in form.changed_data
                     if name in form.fields]
            names += [str(fs.model._meta.verbose_name_plural) for fs in formsets
                      if fs.has_changed()]
        return [{"changed": {"fields": names}}] if names else []

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
        "category", "status", "branch", "family_membership", "closed_at",
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
    (_("Preferences & availability"), {"fields": ("preferences", "availability")}),
    (_("Caregiver"), {"fields": ("caregiver_name", "caregiver_relation", "caregiver_phone")}),
    (_("Messages"), {"fields": ("contact_channel", "messages_opt_out_at")}),
    (_("Eligibility document"), {
        "fields": ("document_type", "document_number", "document_valid_until"),
        "description": _("Sensitive personal data: seen by librarians only."),
        "classes": (DOCUMENT_FIELDSET_NAME,),
    }),
    (_("Consent"), {"fields": ("consent_date", "consent_recorded_by")}),
    (_("Volunteers' concerns"), {
        "fields": ("concern_list",),
        "description": _("Close a concern with what was done through the API "
                         "(POST /api/v1/concerns/{id}/close/)."),
    }),
    (_("Record"), {
        "fields": ("created_by", "created_at", "updated_at"),
        "classes": ("collapse",),
    }),
)


@admin.register(Reader)
class ReaderAdmin(ReaderDataMixin, ServiceSavingAdmin):
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
                                    action=_admin_list_action(request),
                                    channel=CardAccess.Channel.ADMIN)
        return changelist
    list_display = (
        "card_number", "full_name_display", "category", "status", "branch", "settlement",
        "family_card", "main_phone",
    )
    list_display_links = ("card_number", "full_name_display")
    list_filter = (
        "status", "category", "branch", "language",
        ("settlement", admin.AllValuesFieldListFilter),
    )
    list_select_related = ("branch", "family_card")
    list_per_page = 50
    # The search itself is selectors.reader_search_q (see get_search_results); a
    # search field only makes the admin show the box and allow autocomplete.
    search_fields = ("card_number",)
    search_help_text = _(
        "Name (any case), card number, or phone in any form or its last 7 digits."
    )
    readonly_fields = (
        "card_number", "family_membership", "phone_list", "closed_at", "consent_recorded_by",
        "created_by", "created_at", "updated_at", "messages_opt_out_at", "concern_list",
    )
    fieldsets = READER_FIELDSETS

    def get_queryset(self, request):
        qs = selectors.reader_queryset().select_related("created_by")
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        # Phones are matched in a subquery: no reader is listed twice.
        return queryset.filter(selectors.reader_search_q(term)), False

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

    @admin.display(description=_("concerns"))
    def concern_list(self, obj: Reader) -> str:
        """What volunteers were worried about at the door, open ones first (read only)."""
        if obj.pk is None:
            return EMPTY
        # Raised at a stop (routing); the card only shows them.
        from django.utils.timezone import localtime

        from backend.routing.selectors import reader_concerns

        concerns = list(reader_concerns(reader_id=obj.pk)[:50])
        if not concerns:
            return EMPTY
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", (
            (" — ".join(part for part in (
                f"#{c.pk} {localtime(c.created_at):%Y-%m-%d %H:%M}", c.get_kind_display(), c.note,
                gettext("closed %(when)s: %(note)s") % {
                    "when": f"{localtime(c.closed_at):%Y-%m-%d}", "note": c.closing_note}
                if c.closed_at else gettext("open")) if part),)
            for c in concerns)))

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
        if change:
            return services.reader_update(reader=form.instance, data=data, by=request.user)
        return services.reader_create(data=data, by=request.user)

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
class FamilyCardAdmin(ReaderDataMixin, ServiceSavingAdmin):
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
                                    action=_admin_list_action(request),
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


# History ---------------------------------------------------------------------------------------


@admin.register(CardChange)
class CardChangeAdmin(ReaderDataAdmin):
    """The card history: read-only, for librarians."""

    list_display = ("at", "card", "actor", "action", "changed_fields")
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    list_select_related = ("reader", "family_card", "actor")
    search_fields = ("reader__card_number", "family_card__number")
    search_help_text = _("Reader or family card number.")
    fields = ("at", "card", "actor", "action", "changes_table")
    readonly_fields = fields
    list_per_page = 100
    # The card page links here for a card's older history.
    extra_lookups = ("reader__id__exact", "family_card__id__exact")

    @staticmethod
    def viewer_allowed(request) -> bool:
        return can_see_reader_data_in_admin(request.user) and request.user.has_perm(
            "readers.view_cardchange"
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("card"))
    def card(self, obj: CardChange) -> str:
        if obj.reader_id:
            url = reverse("admin:readers_reader_change", args=[obj.reader_id])
            return format_html('<a href="{}">{}</a>', url, str(obj.reader))
        url = reverse("admin:readers_familycard_change", args=[obj.family_card_id])
        return format_html('<a href="{}">{}</a>', url, str(obj.family_card))

    @admin.display(description=_("fields"))
    def changed_fields(self, obj: CardChange) -> str:
        model = Reader if obj.reader_id else FamilyCard
        return ", ".join(_field_label(model, name) for name in sorted(obj.changes)) or EMPTY

    @admin.display(description=_("changes"))
    def changes_table(self, obj: CardChange) -> str:
        # Only librarians reach this page, so nothing is masked here.
        model = Reader if obj.reader_id else FamilyCard
        refs = _references([obj])
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            gettext("field"), gettext("was"), gettext("became"),
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (_field_label(model, name), _show(model, name, old, refs, frozenset()),
                     _show(model, name, new, refs, frozenset()))
                    for name, old, new in _ordered_changes(obj)
                ),
            ),
        )


def _admin_list_action(request) -> str:
    from django.contrib.admin.views.main import SEARCH_VAR

    return CardAccess.Action.SEARCH if request.GET.get(SEARCH_VAR) else CardAccess.Action.LIST


# Card access log -------------------------------------------------------------------------------


@admin.register(CardAccess)
class CardAccessAdmin(ReaderDataAdmin):
    """Who opened which card: read-only, for the librarian who answers "who saw my data?"."""

    list_display = ("at", "user", "action", "channel", "cards", "count", "path", "ip")
    list_filter = ("action", "channel", "at")
    search_fields = ("user__username", "user__last_name", "=readers__card_number",
                     "readers__last_name", "=family_cards__number")
    list_select_related = ("user",)
    raw_id_fields = ("user", "readers", "family_cards")
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("readers", queryset=Reader.objects.only("id", "card_number")),
            Prefetch("family_cards", queryset=FamilyCard.objects.only("id", "number")))

    @admin.display(description=_("cards"))
    def cards(self, obj) -> str:
        """The first cards shown, by number; a long list ends with "…"."""
        numbers = [r.card_number for r in obj.readers.all()]
        numbers += [f.number for f in obj.family_cards.all()]
        return ", ".join(numbers[:10]) + (", …" if len(numbers) > 10 else "")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
