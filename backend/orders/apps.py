from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "backend.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from backend.notifications import registry
        from backend.orders import receivers
        from backend.orders.inbound import inbound_sms_handle

        # What a reader's SMS means (STOP, a visit confirmed, a visit to move) is decided here.
        registry.inbound_sms_handler_set(inbound_sms_handle)
        receivers.connect()
