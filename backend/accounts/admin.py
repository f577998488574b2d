from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kniga 03"), {"fields": ("phone", "branch", "language")}),
    )
    list_display = ("username", "first_name", "last_name", "branch", "is_active")
    list_filter = ("groups", "branch", "is_active", "is_staff")
    list_select_related = ("branch",)
