"""Message gateways: one module per provider, chosen by MESSAGE_BACKEND."""
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

BACKENDS = {
    "console": "backend.notifications.gateways.console.ConsoleGateway",
}


@dataclass
class SendResult:
    provider_id: str
    status: str = "sent"


class GatewayError(Exception):
    """A send failed. `permanent` means retrying cannot help (invalid number, opted out)."""

    def __init__(self, message: str, *, code: str = "", permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


def get_gateway():
    name = getattr(settings, "MESSAGE_BACKEND", "console")
    return import_string(BACKENDS.get(name, name))()
