"""Reads of the outbox that other apps show."""
from django.utils.translation import gettext as _

from backend.notifications.models import Channel, Message, VoiceMode
from backend.notifications.texts import AUDIO_LANGUAGES


def reader_voice_mode(*, reader_id: int | None) -> str:
    """How the reader's last call spoke, in words for the card after "Calls:" ("" before
    any call):
    Kazakh audio, recorded prompts, or the Russian voice (and that no Kazakh audio could
    be had, when the reader's language is Kazakh)."""
    if reader_id is None:
        return ""
    last = (Message.objects.filter(reader_id=reader_id, channel=Channel.VOICE)
            .exclude(voice_mode="").order_by("-updated_at", "-id")
            .values("voice_mode", "language").first())
    if last is None:
        return ""
    if last["voice_mode"] == VoiceMode.TTS:
        return _("Kazakh audio")
    if last["voice_mode"] == VoiceMode.PROMPTS:
        return _("recorded prompts in Kazakh")
    if last["language"] in AUDIO_LANGUAGES:
        return _("Russian voice (no Kazakh audio available)")
    return _("Russian voice")
