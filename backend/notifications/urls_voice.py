"""The call audio (backend/notifications/views.py), mounted at /media/voice/."""
from django.urls import re_path

from backend.notifications import views

urlpatterns = [
    re_path(r"^(?P<name>[0-9a-f]{64}\.(?:mp3|wav))$", views.voice_audio, name="voice-audio"),
]
