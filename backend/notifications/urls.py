from django.urls import path

from backend.notifications import apis

urlpatterns = [
    path("twilio/sms/", apis.TwilioSmsApi.as_view(), name="twilio-sms"),
    path("twilio/status/", apis.TwilioStatusApi.as_view(), name="twilio-status"),
    path("twilio/voice/", apis.TwilioVoiceApi.as_view(), name="twilio-voice"),
]
