from django.urls import path

from backend.notifications import apis

urlpatterns = [
    path("twilio/sms/", apis.TwilioSmsApi.as_view(), name="twilio-sms"),
    path("twilio/status/", apis.TwilioStatusApi.as_view(), name="twilio-status"),
    path("twilio/voice/", apis.TwilioVoiceApi.as_view(), name="twilio-voice"),
    path("desk/inbox/", apis.InboxListApi.as_view(), name="desk-inbox"),
    path("desk/inbox/<int:pk>/done/", apis.InboxDoneApi.as_view(), name="desk-inbox-done"),
    path("desk/incoming/", apis.IncomingCallListApi.as_view(), name="desk-incoming"),
    path("desk/incoming/<int:pk>/done/", apis.IncomingCallDoneApi.as_view(),
         name="desk-incoming-done"),
]
