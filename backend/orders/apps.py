from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "backend.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from backend.orders import receivers

        receivers.connect()
