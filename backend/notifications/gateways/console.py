"""The local default: messages are kept in the outbox and logged, nothing leaves.

The log line names the masked number and the length, not the text: texts carry readers'
names and visit times, and logs are not the place for them (the outbox shows the text to
those allowed to see it)."""
import logging
import uuid

from backend.core.phones import mask
from backend.notifications.gateways import Gateway, SendResult

logger = logging.getLogger("kniga03.messages")


class ConsoleGateway(Gateway):
    def send_sms(self, *, to: str, text: str, callback_url: str = "") -> SendResult:
        logger.info("SMS to %s: %s characters", mask(to), len(text))
        return SendResult(provider_id=f"console-{uuid.uuid4().hex[:16]}")

    def call(self, *, to: str, text: str, language: str, callback_url: str = "",
             plan=None) -> SendResult:
        logger.info("Call to %s (%s, %s): %s characters", mask(to), language,
                    getattr(plan, "mode", "say"), len(text))
        return SendResult(provider_id=f"console-{uuid.uuid4().hex[:16]}")
