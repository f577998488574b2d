"""Catalog admin for librarians: titles with their copies, and copies on their own.

Every save goes through backend.catalog.services (title_create / title_update /
item_create / item_update, item_write_off for status), as the API's do. A rule a service
refuses comes back as errors on the form (the whole save rolled back), never as a 500.
"""
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from backend.catalog import selectors, services
from backend.catalog.imports import clean_isbn, year_bounds
from backend.catalog.models import Item, ItemStatus, Title
from backend.core.admin_services import ServiceSavingAdmin
from backend.core.exceptions import ApplicationError
from backend.core.forms import TagListField, TagsWidget


class TitleAdminForm(forms.ModelForm):
    authors = TagListField(label=_("Authors"), max_length=200,
                           widget=TagsWidget(suggestions=selectors.catalog_authors),
                           help_text=_("One author per line, as on the title page."))
    subjects = TagListField(label=_("Subjects"), max_length=100,
                            widget=TagsWidget(suggestions=selectors.catalog_subjects),
                            help_text=_("One subject per line, e.g. poetry."))
    isbn = forms.CharField(label=_("ISBN"), max_length=20, required=False,
                           help_text=_("ISBN-10 or ISBN-13, with or without hyphens"))

    class Meta:
        model = Title
        fields = ("title", "authors", "language", "format", "subjects", "isbn", "year",
                  "publisher", "age_rating", "annotation")

    def clean_isbn(self) -> str:
        try:
            return clean_isbn(self.cleaned_data.get("isbn"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid_isbn") from exc

    def clean_year(self):
        year = self.cleaned_data.get("year")
        low, high = year_bounds()
        if year is not None and not low <= year <= high:
            raise forms.ValidationError(
                _("The year must be a number from %(low)s to %(high)s."),
                params={"low": low, "high": high}, code="invalid_year")
        return year


class ItemInlineForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ("barcode", "branch", "shelf_mark", "note")

    def clean_barcode(self) -> str:
        barcode = (self.cleaned_data.get("barcode") or "").strip()
        if self.instance.pk and barcode != self.instance.barcode:
            raise forms.ValidationError(
                _("A copy keeps its barcode; write this copy off and add a new one."),
                code="barcode_fixed")
        return barcode


class ItemInline(admin.TabularInline):
    model = Item
    form = ItemInlineForm
    fields = ("barcode", "branch", "status", "shelf_mark", "note")
    readonly_fields = ("status",)
    extra = 0
    can_delete = False  # copies are written off (lost, withdrawn), not deleted
    show_change_link = True


def _service_failed(modeladmin: admin.ModelAdmin, request, error: ApplicationError) -> None:
    modeladmin.message_user(request, str(error.message), level=messages.ERROR)


@admin.register(Title)
class TitleAdmin(ServiceSavingAdmin):
    title_object = pgettext_lazy("admin title object", "title")
    form = TitleAdminForm
    inlines = [ItemInline]
    list_display = ("title", "authors_display", "language", "format", "year", "isbn",
                    "copies", "available")
    list_filter = ("language", "format")
    ordering = ("title", "id")
    search_fields = ("title",)  # shows the search box; the search itself is title_list's
    search_help_text = _(
        "Title or author (Kazakh letters typed or not, Latin too), ISBN or barcode")
    fieldsets = (
        (None, {"fields": ("title", "authors", "language", "format", "subjects")}),
        (_("Edition"), {"fields": ("isbn", "year", "publisher", "age_rating", "annotation")}),
    )

    def get_queryset(self, request):
        return selectors.title_queryset()

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        found = selectors.title_list(filters={"q": search_term}).values("pk")
        return queryset.filter(pk__in=found), False

    @admin.display(description=_("authors"))
    def authors_display(self, obj: Title) -> str:
        return obj.authors_display

    @admin.display(description=_("copies"), ordering="copies")
    def copies(self, obj: Title) -> int:
        return getattr(obj, "copies", 0)

    @admin.display(description=_("available"), ordering="available")
    def available(self, obj: Title) -> int:
        return getattr(obj, "available", 0)

    def save_through_service(self, request, form, formsets, change: bool) -> Title:
        cleaned = form.cleaned_data
        names = form.changed_data if change else list(cleaned)
        data = {n: cleaned[n] for n in names if n in services.TITLE_FIELDS and n in cleaned}
        if change:
            title = services.title_update(title=form.instance, data=data)
        else:
            title = services.title_create(data=data)
        for formset in formsets:
            if formset.model is Item:
                for item_form in formset.forms:
                    self._save_copy(title, item_form)
        return title

    @staticmethod
    def _save_copy(title: Title, item_form) -> None:
        if not item_form.has_changed() or not hasattr(item_form, "cleaned_data"):
            return
        data: dict[str, Any] = item_form.cleaned_data
        try:
            if item_form.instance.pk:
                changed = [n for n in item_form.changed_data
                           if n in ("branch", "shelf_mark", "note")]
                services.item_update(item=item_form.instance,
                                     data={n: data[n] for n in changed})
            else:
                services.item_create(data={
                    "title": title, "barcode": data["barcode"], "branch": data["branch"],
                    "shelf_mark": data.get("shelf_mark", ""), "note": data.get("note", "")})
        except ApplicationError as error:
            # Tell which copy: the inline's own fields are not on the main form.
            barcode = item_form.instance.barcode or data.get("barcode") or ""
            raise ApplicationError(error.code, f"{barcode}: {error.message}",
                                   fields=error.fields, status_code=error.status_code) \
                from error


def _status_action(status: str, label):
    def action(modeladmin: "ItemAdmin", request, queryset) -> None:
        done = 0
        for item in queryset:
            try:
                services.item_write_off(item=item, status=status)
                done += 1
            except ApplicationError as error:
                _service_failed(modeladmin, request, error)
        if done:
            modeladmin.message_user(request, ngettext(
                "%(count)d copy changed.", "%(count)d copies changed.", done) % {"count": done})

    action.__name__ = f"mark_{status}"
    return admin.action(description=label)(action)


@admin.register(Item)
class ItemAdmin(ServiceSavingAdmin):
    title_object = pgettext_lazy("admin title object", "copy")
    list_display = ("barcode", "title", "branch", "status", "shelf_mark")
    list_filter = ("status", "branch")
    list_select_related = ("title", "branch")
    search_fields = ("=barcode", "barcode")
    autocomplete_fields = ("title",)
    fields = ("title", "barcode", "branch", "status", "shelf_mark", "note")
    actions = [
        _status_action(ItemStatus.LOST, _("Mark as lost")),
        _status_action(ItemStatus.WITHDRAWN, _("Withdraw (write off)")),
        _status_action(ItemStatus.IN_TRANSIT, _("Mark as in transit")),
        _status_action(ItemStatus.AVAILABLE, _("Put back on the shelf")),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Status changes through the actions (and circulation); title and barcode stay.
        return ("status", "title", "barcode") if obj else ("status",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_through_service(self, request, form, formsets, change: bool) -> Item:
        cleaned = form.cleaned_data
        if change:
            names = [n for n in form.changed_data if n in ("branch", "shelf_mark", "note")]
            return services.item_update(item=form.instance,
                                        data={n: cleaned[n] for n in names})
        return services.item_create(data={
            n: cleaned[n] for n in services.ITEM_FIELDS if n in cleaned})
