"""Message gateways: one module per provider, chosen by MESSAGE_BACKEND.

A gateway sends an SMS (`send_sms`), places a call that says a text or plays its audio
(`call`, with the VoicePlan of backend/notifications/voice.py) and, for a
message whose fate is unknown, looks in the provider's own log (`find_sent`). Its errors
say whether a retry can help (`permanent`), whether the number refused messages
(`opted_out`), how long to wait before trying again (`retry_after`) and whether the provider
may have accepted the message all the same (`maybe_sent`: a timeout after the request left).
"""
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

BACKENDS = {
    "console": "backend.notifications.gateways.console.ConsoleGateway",
    "twilio": "backend.notifications.gateways.twilio.TwilioGateway",
}


@dataclass
class SendResult:
    provider_id: str
    status: str = "sent"
    error_code: str = ""


class GatewayError(Exception):
    """A send failed. `permanent` means retrying cannot help (invalid number, opted out);
    `opted_out` that the provider knows the number refused messages (it is permanent too);
    `retry_after` (seconds) that the provider asked us to wait at least that long before
    trying again; `maybe_sent` that the provider may have taken the message before the
    failure. `code` is the provider's own code, kept for the outbox's record only: what the
    outbox does depends on these attributes, never on a provider's number."""

    def __init__(self, message: str, *, code: str = "", permanent: bool = False,
                 maybe_sent: bool = False, opted_out: bool = False,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent or opted_out
        self.maybe_sent = maybe_sent
        self.opted_out = opted_out
        self.retry_after = retry_after


class Gateway:
    def send_sms(self, *, to: str, text: str, callback_url: str = "") -> SendResult:
        raise NotImplementedError

    def call(self, *, to: str, text: str, language: str, callback_url: str = "",
             plan=None) -> SendResult:
        """Call `to`: play `plan`'s audio, or say its text (without a plan, `text`)."""
        raise NotImplementedError

    def find_sent(self, *, channel: str, to: str, text: str, since: datetime.datetime,
                  exclude: frozenset[str] = frozenset()) -> SendResult | None:
        """The provider's record of this message if it took it after `since` (and its id is
        not one of `exclude`, the ids our outbox already has). None when it did not."""
        return None


def get_gateway():
    name = getattr(settings, "MESSAGE_BACKEND", "console")
    return import_string(BACKENDS.get(name, name))()
