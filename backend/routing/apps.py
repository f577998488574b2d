from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "backend.routing"
    label = "routing"
    verbose_name = _("Routes")

    def ready(self) -> None:
        from backend.notifications import registry
        from backend.routing import receivers
        from backend.routing.messages import ROUTE_TEMPLATES, fresh_context

        # A route message waiting to leave says the route as it is when it leaves.
        registry.context_refresher_add(ROUTE_TEMPLATES, fresh_context)
        receivers.connect()
