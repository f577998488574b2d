"""The desk's inbox and incoming calls (/api/v1/desk/inbox/, /api/v1/desk/incoming/)."""
from django.urls import path

from backend.orders import apis_inbox

urlpatterns = [
    path("desk/inbox/", apis_inbox.InboxListApi.as_view(), name="desk-inbox"),
    path("desk/inbox/<int:pk>/done/", apis_inbox.InboxDoneApi.as_view(), name="desk-inbox-done"),
    path("desk/incoming/", apis_inbox.IncomingCallListApi.as_view(), name="desk-incoming"),
    path("desk/incoming/<int:pk>/done/", apis_inbox.IncomingCallDoneApi.as_view(),
         name="desk-incoming-done"),
]
