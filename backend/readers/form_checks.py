"""The reader card form's categories, its duplicate warning and its consent note.

`ReaderCardChecksMixin` goes into the admin's reader form (backend/readers/forms.py): the
categories as checkboxes with their names; a new card's status left to the service (active
with a consent date, paused without); and, when the service said the card may be a reader
already on file (`reader.possible_duplicate`, raised by `services.reader_create` /
`reader_update` with `refuse_duplicates`), links to those cards and a checkbox to save anyway.
Also the card list's filter by category, which finds a reader under each of their categories.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.readers.models import Category, Reader, ReaderStatus
from backend.readers.selectors import category_q
from backend.readers.services import POSSIBLE_DUPLICATE

AUTOMATIC_STATUS = ""


class ReaderCardChecksMixin(forms.Form):
    categories = forms.MultipleChoiceField(
        label=capfirst(_("all categories")), choices=Category.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A reader can be in several categories (a pensioner with a disability "
                    "group). The main category is always among them."),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Save anyway (it is a different person)"), required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if "category" in self.fields:
            self.fields["category"].help_text = _("The card's main category.")
        if "categories" in self.fields and instance is not None and instance.pk:
            self.initial.setdefault("categories", instance.category_codes)
        status = self.fields.get("status")
        if status is not None and (instance is None or not instance.pk):
            # The service decides: a card cannot be active before consent is recorded.
            status.required = False
            status.choices = [(AUTOMATIC_STATUS,
                               _("Active with a consent date, paused without")),
                              *ReaderStatus.choices]
            status.initial = AUTOMATIC_STATUS
            self.initial["status"] = AUTOMATIC_STATUS
            status.help_text = _("Without a date of consent to personal data processing a "
                                 "new card is saved paused: it becomes active once the "
                                 "consent is recorded.")
        error = getattr(self, "service_error", None)
        if error is not None and error.code == POSSIBLE_DUPLICATE \
                and "confirm_duplicate" in self.fields:
            field = self.fields["confirm_duplicate"]
            field.widget = forms.CheckboxInput()
            field.help_text = duplicate_links(error.fields.get("duplicates", []))

    def clean_status(self) -> str:
        return self.cleaned_data.get("status") or AUTOMATIC_STATUS


class ReaderCategoryFilter(admin.SimpleListFilter):
    """The card list by category: a reader is listed under each of their categories."""

    title = _("category")
    # The name the field's own filter had, so that links to filtered lists keep working.
    parameter_name = "category__exact"

    def lookups(self, request, model_admin):
        return Category.choices

    def queryset(self, request, queryset):
        if self.value() in Category.values:
            return queryset.filter(category_q(self.value()))
        return queryset


def duplicate_links(cards: list[dict]) -> str:
    """The possible duplicates as links to their cards (escaped: names are typed by people)."""
    reasons = {"phone": gettext("the same phone and birth date"),
               "name": gettext("the same name and birth date")}
    items = format_html_join(
        "", '<li><a href="{}" target="_blank" rel="noopener">{} {}</a> ({})</li>',
        ((reverse("admin:readers_reader_change", args=[card["id"]]), card["card_number"],
          card["full_name"], reasons.get(card.get("reason"), ""))
         for card in cards),
    )
    return format_html("{}<ul>{}</ul>",
                       gettext("Open cards that may be the same person:"), items)


def consent_note(request, reader: Reader) -> None:
    """After a save: say so when the card is paused for want of a consent date."""
    if reader.status == ReaderStatus.PAUSED and not reader.consent_date:
        messages.warning(request, gettext(
            "The card %(card)s is paused until the consent to personal data processing is "
            "recorded: enter the consent date to make it active.") % {
                "card": reader.card_number})
