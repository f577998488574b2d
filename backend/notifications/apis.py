"""Twilio's webhooks: replies, delivery statuses, incoming calls.

Every webhook checks X-Twilio-Signature with the twilio library's RequestValidator against
the public URL Twilio called (TWILIO_WEBHOOK_BASE_URL when a proxy stands in front) and
answers 403, changing nothing, when it does not match.
"""
from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from backend.core.exceptions import ApplicationError
from backend.core.schema import errors
from backend.notifications import sending, services
from backend.notifications.serializers import (
    TwilioSmsSerializer,
    TwilioStatusSerializer,
    TwilioVoiceSerializer,
)

TWIML = OpenApiResponse(OpenApiTypes.STR, description="TwiML (text/xml)")


def public_url(request) -> str:
    """The URL Twilio signed: behind a proxy, the configured public base and our path."""
    base = getattr(settings, "TWILIO_WEBHOOK_BASE_URL", "")
    if base:
        return base.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def check_signature(request) -> None:
    token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    valid = bool(token and signature) and RequestValidator(token).validate(
        public_url(request), request.data, signature, algorithm=algorithm)
    if not valid:
        raise ApplicationError("twilio.bad_signature",
                               _("The request is not signed by Twilio."), status_code=403)


def twiml(response) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


class TwilioWebhook(APIView):
    """Twilio calls these: no session, no CSRF, the signature is the credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    throttle_classes: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_signature(request)


class TwilioSmsApi(TwilioWebhook):
    """A reader's SMS: 1 / ДА / ИӘ confirms the visit, 2 asks to move it, STOP (СТОП,
    ТОҚТАТУ, ...) refuses messages and START brings them back; anything else goes to the
    operator's inbox."""

    @extend_schema(operation_id="twilio_sms", request={
        "application/x-www-form-urlencoded": TwilioSmsSerializer},
        responses={200: TWIML, **errors(403)})
    def post(self, request):
        data = request.data
        _action, reply = services.inbound_sms_receive(
            phone=data.get("From", ""), body=data.get("Body", ""),
            sid=data.get("MessageSid") or data.get("SmsSid", ""),
        )
        response = MessagingResponse()
        if reply:
            response.message(reply)
        return twiml(response)


class TwilioStatusApi(TwilioWebhook):
    """Delivery status of an SMS or a call we sent; `m` is our message id."""

    @extend_schema(operation_id="twilio_status", request={
        "application/x-www-form-urlencoded": TwilioStatusSerializer},
        parameters=[OpenApiParameter("m", int, description="Our message id")],
        responses={204: None, **errors(403)})
    def post(self, request):
        data = request.data
        message_id = request.query_params.get("m", "")
        sending.message_status_update(
            sid=data.get("MessageSid") or data.get("SmsSid") or data.get("CallSid", ""),
            status=data.get("MessageStatus") or data.get("SmsStatus")
            or data.get("CallStatus", ""),
            error_code=data.get("ErrorCode", "") or "",
            message_id=int(message_id) if message_id.isdigit() else None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TwilioVoiceApi(TwilioWebhook):
    """An incoming call: it pops up on the operator desk with the caller's card, and the
    call is put through to the desk's phone (DESK_PHONE_NUMBER)."""

    @extend_schema(operation_id="twilio_voice", request={
        "application/x-www-form-urlencoded": TwilioVoiceSerializer},
        responses={200: TWIML, **errors(403)})
    def post(self, request):
        data = request.data
        services.incoming_call_receive(phone=data.get("From", ""),
                                       sid=data.get("CallSid", ""))
        response = VoiceResponse()
        desk = getattr(settings, "DESK_PHONE_NUMBER", "")
        # Twilio has no Kazakh voice: the caller hears Russian.
        with translation.override("ru"):
            if desk:
                response.say(_("Kniga 03. Connecting you to the library."), language="ru-RU")
                response.dial(desk, timeout=40)
            else:
                response.say(_("Kniga 03. The library cannot take your call now. "
                               "Please call again later."), language="ru-RU")
                response.hangup()
        return twiml(response)
