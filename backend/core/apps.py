from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "backend.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.core import checks

        # OpenAPI extensions register themselves when their module is imported.
        from backend.core import schema  # noqa: F401
        from backend.core.admin_site import check_admins

        checks.register(check_admins, checks.Tags.admin)

        from django.db.backends.signals import connection_created

        from backend.core.pg_dates import fast_dates_set
        from backend.core.search import trigram_threshold_set

        connection_created.connect(trigram_threshold_set, dispatch_uid="kniga-trigram-threshold")
        connection_created.connect(fast_dates_set, dispatch_uid="kniga-fast-dates")


class KnigaAdminConfig(admin_apps.AdminConfig):
    """Django's admin on Kniga 03's site (backend/core/admin_site.py: who may enter)."""

    default = False  # "backend.core" is CoreConfig
    default_site = "backend.core.admin_site.KnigaAdminSite"
