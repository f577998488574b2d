"""The local default: messages are printed (and kept in the outbox), nothing leaves."""
import logging
import uuid

from backend.core.phones import mask
from backend.notifications.gateways import Gateway, SendResult

logger = logging.getLogger("kniga03.messages")


class ConsoleGateway(Gateway):
    def send_sms(self, *, to: str, text: str, callback_url: str = "") -> SendResult:
        logger.info("SMS to %s: %s", mask(to), text)
        return SendResult(provider_id=f"console-{uuid.uuid4().hex[:16]}")

    def call(self, *, to: str, text: str, language: str, callback_url: str = "") -> SendResult:
        logger.info("Call to %s (%s): %s", mask(to), language, text)
        return SendResult(provider_id=f"console-{uuid.uuid4().hex[:16]}")
