from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "backend.routing"
    label = "routing"
    verbose_name = _("Routes")

    def ready(self) -> None:
        from backend.routing import receivers

        receivers.connect()
