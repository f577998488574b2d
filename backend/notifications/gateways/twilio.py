"""Twilio: SMS through the Messages resource, voice calls through Calls that say a text
(`<Say>`) or play its audio (`<Play>`, see backend/notifications/voice.py).

Configured from settings: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER and,
optionally, TWILIO_MESSAGING_SERVICE_SID (the service picks the sender), TWILIO_TIMEOUT
(seconds to wait for Twilio), TWILIO_VOICE (the <Say> voice). TWILIO_API_BASE_URL sends
every API request to another server instead: a local fake in tests, never in production.

Errors are split the healthchecks way: a retry helps (timeouts, 5xx, 429 / 20429) or it
cannot (invalid number, unsubscribed, landline for SMS, ...). A timeout after the request
left may hide an accepted message, so it is `maybe_sent`: the outbox looks in Twilio's
message log before it tries again.
"""
import datetime
import logging
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from backend.core.phones import mask
from backend.notifications.gateways import Gateway, GatewayError, SendResult

logger = logging.getLogger("kniga03.messages")

# Retrying cannot help: the number is wrong, said STOP, cannot take SMS, or is barred.
PERMANENT_CODES = frozenset({
    "21211",  # invalid 'To' number
    "21217",  # invalid phone number (calls)
    "21214",  # 'To' number cannot be reached (calls)
    "21215",  # no permission to call that region
    "21216",  # call blocked
    "21408",  # no permission to send SMS to that region
    "21610",  # the number said STOP (unsubscribed)
    "21612",  # no route to that number
    "21614",  # not a mobile number (a landline cannot take SMS)
    "21617",  # body too long
    "13224",  # invalid number (calls)
})
RATE_LIMIT_CODES = frozenset({"20429", "14107"})
OPTED_OUT_CODE = "21610"  # the number said STOP to Twilio
RATE_LIMIT_WAIT = 60  # seconds: give Twilio's queue a minute
# Clocks differ a little between us and Twilio.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# The <Say> languages Twilio's voices speak; Kazakh has no voice (see docs/messages.md).
VOICE_LANGUAGES = {"ru": "ru-RU"}
LOG_LOOKBACK = 50


class RebasedHttpClient(TwilioHttpClient):
    """Sends every API request to another base URL, path and query kept (a local fake)."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


@lru_cache(maxsize=4)
def _client(sid: str, token: str, base_url: str, timeout: float) -> Client:
    if base_url:
        http_client = RebasedHttpClient(base_url, timeout=timeout)
    else:
        http_client = TwilioHttpClient(timeout=timeout)
    return Client(sid, token, http_client=http_client)


def twilio_client() -> Client:
    sid = getattr(settings, "TWILIO_ACCOUNT_SID", "")
    token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
    if not sid or not token:
        raise GatewayError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.",
                           code="not_configured")
    return _client(sid, token, getattr(settings, "TWILIO_API_BASE_URL", "") or "",
                   float(getattr(settings, "TWILIO_TIMEOUT", 10)))


def _never_left(exc: requests.RequestException) -> bool:
    """True when the connection was never made, so Twilio cannot have the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def gateway_error(exc: Exception) -> GatewayError:
    """Twilio's or the network's failure as a GatewayError that says if a retry helps."""
    if isinstance(exc, requests.RequestException):
        if isinstance(exc, requests.exceptions.Timeout) and not _never_left(exc):
            return GatewayError(f"No answer from Twilio in time: {exc}", code="timeout",
                                maybe_sent=True)
        if _never_left(exc):
            return GatewayError(f"Twilio cannot be reached: {exc}", code="network")
        return GatewayError(f"The connection to Twilio broke: {exc}", code="network",
                            maybe_sent=True)
    if isinstance(exc, TwilioRestException):
        status, code, text = exc.status, str(exc.code or ""), exc.msg
    elif isinstance(exc, TwilioServiceException):
        status, code, text = exc.status, str(exc.code or ""), exc.detail or exc.title
    else:
        return GatewayError(f"Twilio: {exc}", code="twilio")
    text = str(text or "")[:400]
    if status == 429 or code in RATE_LIMIT_CODES:
        return GatewayError(text or "Too many requests", code=code or "20429",
                            retry_after=RATE_LIMIT_WAIT)
    if status >= 500:
        return GatewayError(text, code=code or str(status))
    if code in PERMANENT_CODES:
        return GatewayError(text, code=code, permanent=True, opted_out=code == OPTED_OUT_CODE)
    if status in (401, 403):
        # Wrong credentials are a setting to fix, not a reason to drop the reader's message.
        return GatewayError(text, code=code or str(status))
    return GatewayError(text, code=code or str(status), permanent=400 <= status < 500)


def say_twiml(text: str, language: str) -> str:
    """The call's TwiML: the text said twice, slowly enough for an elderly listener."""
    response = VoiceResponse()
    voice = getattr(settings, "TWILIO_VOICE", "") or None
    response.say(text, language=VOICE_LANGUAGES.get(language, VOICE_LANGUAGES["ru"]),
                 voice=voice, loop=2)
    return str(response)


def plan_twiml(plan) -> str:
    """A VoicePlan's TwiML: its audio played twice (a pause between), or its text said."""
    if not plan.audio_urls:
        return say_twiml(plan.say_text, plan.say_language)
    response = VoiceResponse()
    for round_ in range(2):
        if round_:
            response.pause(length=1)
        for url in plan.audio_urls:
            response.play(url)
    return str(response)


class TwilioGateway(Gateway):
    def __init__(self) -> None:
        self.from_number = getattr(settings, "TWILIO_FROM_NUMBER", "")
        self.service_sid = getattr(settings, "TWILIO_MESSAGING_SERVICE_SID", "")

    def send_sms(self, *, to: str, text: str, callback_url: str = "") -> SendResult:
        params = {"to": to, "body": text}
        if self.service_sid:
            params["messaging_service_sid"] = self.service_sid
        if self.from_number:
            params["from_"] = self.from_number
        if callback_url:
            params["status_callback"] = callback_url
        try:
            message = twilio_client().messages.create(**params)
        except (TwilioException, requests.RequestException) as exc:
            raise gateway_error(exc) from exc
        logger.info("SMS to %s accepted by Twilio as %s", mask(to), message.sid)
        return SendResult(provider_id=message.sid, status=message.status or "queued")

    def call(self, *, to: str, text: str, language: str, callback_url: str = "",
             plan=None) -> SendResult:
        if not self.from_number:
            raise GatewayError("TWILIO_FROM_NUMBER is needed for calls.", code="not_configured")
        twiml = plan_twiml(plan) if plan is not None else say_twiml(text, language)
        params = {"to": to, "from_": self.from_number, "twiml": twiml}
        if callback_url:
            params["status_callback"] = callback_url
        try:
            call = twilio_client().calls.create(**params)
        except (TwilioException, requests.RequestException) as exc:
            raise gateway_error(exc) from exc
        logger.info("Call to %s accepted by Twilio as %s", mask(to), call.sid)
        return SendResult(provider_id=call.sid, status=call.status or "queued")

    def find_sent(self, *, channel: str, to: str, text: str, since: datetime.datetime,
                  exclude: frozenset[str] = frozenset()) -> SendResult | None:
        """Look for the message in Twilio's log: the latest records to the number, newest
        first. No DateSent filter: a message still waiting in Twilio's queue has no date
        sent yet, and it is exactly the one we must not send again."""
        after = since - CLOCK_SKEW
        try:
            if channel == "voice":
                records = twilio_client().calls.list(to=to, limit=LOG_LOOKBACK)
                matches = [r for r in records if (r.direction or "").startswith("outbound")]
            else:
                records = twilio_client().messages.list(to=to, limit=LOG_LOOKBACK)
                matches = [r for r in records if (r.direction or "").startswith("outbound")
                           and (r.body or "") == text]
        except (TwilioException, requests.RequestException) as exc:
            raise gateway_error(exc) from exc
        for record in matches:
            if record.sid in exclude or record.date_created is None:
                continue
            if record.date_created >= after:
                error = getattr(record, "error_code", None)
                return SendResult(provider_id=record.sid, status=str(record.status or "sent"),
                                  error_code=str(error or ""))
        return None
