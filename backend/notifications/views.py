"""The call audio Twilio fetches: one cached file by its unguessable name, nothing else.

No sign-in (Twilio fetches it as it places the call); the name is 64 hex characters, so an
address cannot be guessed, and nothing is listed. Only names of that form under
MEDIA_ROOT/voice/ are served: no other file under MEDIA_ROOT, no path through `..`.
"""
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from backend.notifications.voice import CONTENT_TYPES, cached_audio


@require_safe
def voice_audio(request, name: str) -> FileResponse:
    path = cached_audio(name)
    if path is None:
        raise Http404("No such audio.")
    response = FileResponse(default_storage.open(path, "rb"),
                            content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Robots-Tag"] = "noindex"
    return response
