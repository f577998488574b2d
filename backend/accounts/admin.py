from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from backend.accounts.models import User
from backend.core.admin_site import AdminTitlesMixin, StrictLookupsMixin

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(StrictLookupsMixin, AdminTitlesMixin, BaseGroupAdmin):
    title_object = pgettext_lazy("admin title object", "group")


@admin.register(User)
class UserAdmin(StrictLookupsMixin, AdminTitlesMixin, BaseUserAdmin):
    title_object = pgettext_lazy("admin title object", "user")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kniga 03"), {"fields": ("phone", "branch", "language")}),
    )
    list_display = ("username", "first_name", "last_name", "branch", "is_active")
    list_filter = ("groups", "branch", "is_active", "is_staff")
    list_select_related = ("branch",)


# The token blacklist's tables hold every refresh token handed out (live credentials) and
# nothing anyone needs to act on: deactivating a user ends their sign-ins. No one browses them.
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)
