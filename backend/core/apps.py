from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "backend.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # OpenAPI extensions register themselves when their module is imported.
        from backend.core import schema  # noqa: F401
