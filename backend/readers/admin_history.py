"""The card history (CardChange) and the card access log (CardAccess) in the librarians'
admin: the history panel on a reader's or a family card's page, and the two read-only lists.
What the viewer's role does not see on a card is masked in the panel."""
import json
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from backend.branches.models import Branch
from backend.core.admin_site import ReaderDataAdmin, can_see_reader_data_in_admin
from backend.readers import selectors, services
from backend.readers.card_text import availability_text, preferences_text
from backend.readers.history_fields import history_field
from backend.readers.models import (
    CardAccess,
    CardChange,
    Category,
    FamilyCard,
    PhoneKind,
    Reader,
)
from backend.readers.serializers import hidden_history_fields

EMPTY = "—"
HISTORY_LIMIT = 100
# History rows list fields in the order the card shows them.
FIELD_ORDER = {
    name: index for index, name in enumerate(dict.fromkeys((
        *services.READER_FIELDS, "categories", "phones", "family_card",
        *services.FAMILY_FIELDS, "status", "head", "members",
    )))
}


# Card history panel ------------------------------------------------------------------------------


EXTRA_LABELS = {"phones": _("phones"), "members": _("members"),
                "categories": _("all categories")}


def _field_label(model: type[Model], name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    registered = history_field(name)
    if registered is not None:
        return str(registered.label)
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
    registered = history_field(field)
    if registered is not None:
        return registered.show(value)
    if field == "phones" and isinstance(value, list):
        return ", ".join(_show_phone(p) for p in value if isinstance(p, dict))
    if field == "categories" and isinstance(value, list):
        labels = dict(Category.choices)
        return ", ".join(str(labels.get(code, code)) for code in value)
    if field == "branch":
        return refs["branch"].get(value, f"#{value}")
    if field == "family_card":
        return refs["family_card"].get(value, f"#{value}")
    if field == "head":
        return refs["reader"].get(value, f"#{value}")
    if field == "members" and isinstance(value, list):
        return ", ".join(refs["reader"].get(v, f"#{v}") for v in value)
    if field == "availability" and isinstance(value, list):
        return availability_text(value)
    if field == "preferences" and isinstance(value, dict):
        return preferences_text(value) or EMPTY
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



# History ---------------------------------------------------------------------------------------


@admin.register(CardChange)
class CardChangeAdmin(ReaderDataAdmin):
    """The card history: read-only, for librarians."""
    title_object = pgettext_lazy("admin title object", "card change")

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


# Card access log -------------------------------------------------------------------------------


@admin.register(CardAccess)
class CardAccessAdmin(ReaderDataAdmin):
    """Who opened which card: read-only, for the librarian who answers "who saw my data?"."""
    title_object = pgettext_lazy("admin title object", "card access")

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
