"""The librarians' admin for standing plans (графики обслуживания) and their pauses.

A librarian picks the card (a reader's or a family's, by search), chooses how the visits
repeat with the recurrence picker (backend/core/recurrence_picker.py), the window and the
number of items. Every save goes through backend.plans.services, as the API's do, so the
card's history records it and the rule is checked; a refusal comes back on the form. The
plans name readers: librarians only (ReaderDataMixin), and every look at them is written in
the card access log.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from backend.core.admin_services import ServiceSavingAdmin
from backend.core.admin_site import ReaderDataMixin
from backend.core.recurrence_picker import RecurrenceField
from backend.core.recurrence_text import rrule_describe
from backend.plans import services
from backend.plans.models import StandingPlan, StandingPlanPause
from backend.plans.selectors import standing_plan_queryset
from backend.readers.admin import ReaderAdmin, admin_list_action
from backend.readers.models import CardAccess, Reader
from backend.readers.services import card_access_record

EMPTY = "—"


class StandingPlanAdminForm(forms.ModelForm):
    rrule = RecurrenceField(label=capfirst(_("repeats")),
                            help_text=_("How often the visits repeat."))

    class Meta:
        model = StandingPlan
        fields = ("reader", "family_card", *services.PLAN_FIELDS)


class StandingPlanPauseInline(admin.TabularInline):
    model = StandingPlanPause
    fields = ("starts_on", "ends_on", "reason")
    extra = 0


@admin.register(StandingPlan)
class StandingPlanAdmin(ReaderDataMixin, ServiceSavingAdmin):
    title_object = pgettext_lazy("admin title object", "standing plan")
    form = StandingPlanAdminForm
    inlines = (StandingPlanPauseInline,)
    autocomplete_fields = ("reader", "family_card")
    list_display = ("owner", "repeats", "window", "items_per_visit", "active")
    list_display_links = ("owner", "repeats")
    list_filter = ("active",)
    list_select_related = ("reader", "family_card")
    list_per_page = 50
    fieldsets = (
        (capfirst(_("card")), {
            "fields": ("reader", "family_card"),
            "description": _("A reader's card or a family card (one visit for the household)."),
        }),
        (_("Visits"), {"fields": (
            "rrule", ("starts_on", "ends_on"), ("window_start", "window_end"),
            "items_per_visit", "active", "note",
        )}),
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        # A plan is stopped (the "active" box), not deleted: its orders point at it.
        return False

    def get_readonly_fields(self, request, obj=None):
        # A plan stays with its card (plan.owner_fixed).
        return ("reader", "family_card") if obj is not None else ()

    def get_changelist_instance(self, request):
        """The list names readers: one access-log row for the page's cards."""
        changelist = super().get_changelist_instance(request)
        plans = list(changelist.result_list)
        card_access_record(request=request, readers=[p.reader_id for p in plans if p.reader_id],
                           family_cards=[p.family_card_id for p in plans if p.family_card_id],
                           action=admin_list_action(request), channel=CardAccess.Channel.ADMIN)
        return changelist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id:
            plan = self.get_object(request, unquote(object_id))
            if plan is not None:
                card_access_record(
                    request=request, readers=[plan.reader_id] if plan.reader_id else [],
                    family_cards=[plan.family_card_id] if plan.family_card_id else [],
                    action=CardAccess.Action.VIEW, channel=CardAccess.Channel.ADMIN)
        return response

    @admin.display(description=_("card"))
    def owner(self, obj: StandingPlan) -> str:
        if obj.reader_id:
            return f"{obj.reader.card_number} {obj.reader.full_name}"
        if obj.family_card_id:
            return str(obj.family_card)
        return EMPTY

    @admin.display(description=_("repeats"))
    def repeats(self, obj: StandingPlan) -> str:
        return capfirst(rrule_describe(obj.rrule, obj.starts_on))

    @admin.display(description=_("window"))
    def window(self, obj: StandingPlan) -> str:
        return f"{obj.window_start:%H:%M}–{obj.window_end:%H:%M}"

    def save_through_service(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            data = {name: cleaned.get(name) for name in form.changed_data
                    if name in services.PLAN_FIELDS}
            plan = services.standing_plan_update(plan=form.instance, data=data, by=request.user)
        else:
            data: dict[str, Any] = {name: cleaned.get(name) for name in services.PLAN_FIELDS
                                    if name in cleaned}
            data["reader"] = cleaned.get("reader")
            data["family_card"] = cleaned.get("family_card")
            plan = services.standing_plan_create(data=data, by=request.user)
        for formset in formsets:
            for inline_form in formset.forms:
                self._save_pause(request, plan, formset, inline_form)
        return plan

    @staticmethod
    def _save_pause(request, plan, formset, inline_form) -> None:
        cleaned = getattr(inline_form, "cleaned_data", None) or {}
        pause = inline_form.instance
        deleting = formset.can_delete and formset._should_delete_form(inline_form)
        if not cleaned or (not inline_form.has_changed() and not deleting) \
                or (deleting and not pause.pk):
            return
        if pause.pk:
            # A pause changes as one taken away and one put back, as the API does it.
            services.standing_plan_pause_remove(pause=pause, by=request.user)
            if deleting:
                return
        services.standing_plan_pause_add(plan=plan, starts_on=cleaned.get("starts_on"),
                                         ends_on=cleaned.get("ends_on"),
                                         reason=cleaned.get("reason") or "", by=request.user)


@admin.display(description=_("standing plans"))
def plan_list(modeladmin: admin.ModelAdmin, obj: Reader) -> str:
    """The reader's standing plans and their family card's, in words, each a link to its page;
    and a link to add one for this card."""
    if obj.pk is None:
        return EMPTY
    owner = Q(reader_id=obj.pk)
    if obj.family_card_id:
        owner |= Q(family_card_id=obj.family_card_id)
    plans = list(standing_plan_queryset().filter(owner).order_by("id"))
    rows = format_html_join("", "<li><a href=\"{}\">{}</a>{}</li>", (
        (reverse("admin:plans_standingplan_change", args=[plan.pk]), str(plan),
         "" if plan.active else f" ({gettext('paused')})")
        for plan in plans))
    add = format_html('<a href="{}?reader={}">{}</a>',
                      reverse("admin:plans_standingplan_add"), obj.pk,
                      gettext("Add a standing plan"))
    return format_html("<ul>{}</ul>{}", rows, add) if plans else add


ReaderAdmin.add_section(capfirst(_("standing plans")), field="standing_plan_list",
                        display=plan_list)
