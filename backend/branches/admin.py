"""Branches (the central library and village branches): superusers edit, staff look."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backend.branches.models import Branch
from backend.core.admin_site import StrictModelAdmin


def _is_superuser(request) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


@admin.register(Branch)
class BranchAdmin(StrictModelAdmin):
    title_object = pgettext_lazy("admin title object", "branch")
    list_display = ("code", "name", "is_central", "settlement", "phone", "time_zone")
    list_display_links = ("code", "name")
    list_filter = ("is_central",)
    search_fields = ("code", "name", "settlement")
    fieldsets = (
        (None, {"fields": ("code", "name", "is_central")}),
        (_("Where"), {"fields": ("settlement", "address", ("lat", "lon"), "phone", "duty_phone",
                                   "time_zone")}),
        (_("Loan rules"), {"fields": (
            "loan_days", "max_renewals", "reader_loan_limit", "family_loan_limit",
            "history_months",
        )}),
        (_("Messages to readers"), {"fields": ("quiet_hours_start", "quiet_hours_end")}),
    )

    # Branch settings drive numbering, routes and loan rules: only superusers change them.
    def has_add_permission(self, request) -> bool:
        return _is_superuser(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_superuser(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_superuser(request)
