"""Text to speech: a service the library hosts that turns a text into audio.

Twilio's voices speak no Kazakh, so a Kazakh reader's call plays audio made here. The
service is one HTTP endpoint, TTS_URL, with this contract:

    POST TTS_URL
    Content-Type: application/json
    {"text": "Сәлеметсіз бе, ...", "language": "kk", "voice": "<TTS_VOICE or empty>"}

    200 OK
    Content-Type: audio/mpeg (or audio/wav)
    <the audio bytes>

Anything else (another status, another content type, an empty body, no answer within
TTS_TIMEOUT seconds) is a TtsError: the call then uses the library's recorded prompts or,
last, Twilio's Russian voice (backend/notifications/voice.py).
"""
import logging
from dataclasses import dataclass

import requests
from django.conf import settings

from backend.notifications.gateways import GatewayError

logger = logging.getLogger("kniga03.messages")

# Content type -> the file extension the cached audio is kept under.
AUDIO_TYPES = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/wav": "wav",
               "audio/x-wav": "wav", "audio/wave": "wav"}
MAX_AUDIO_BYTES = 10 * 1024 * 1024  # a few minutes of speech is far less


class TtsError(GatewayError):
    """The text-to-speech service gave no usable audio."""


@dataclass
class Speech:
    audio: bytes
    extension: str  # "mp3" or "wav"


def tts_configured() -> bool:
    return bool(getattr(settings, "TTS_URL", ""))


def tts_voice() -> str:
    return getattr(settings, "TTS_VOICE", "") or ""


def speak(*, text: str, language: str) -> Speech:
    """The audio of `text` said in `language`, from the service at TTS_URL."""
    url = getattr(settings, "TTS_URL", "")
    if not url:
        raise TtsError("TTS_URL is not set.", code="not_configured")
    timeout = float(getattr(settings, "TTS_TIMEOUT", 10))
    try:
        response = requests.post(
            url, json={"text": text, "language": language, "voice": tts_voice()},
            timeout=timeout, headers={"Accept": "audio/mpeg, audio/wav"})
    except requests.RequestException as exc:
        raise TtsError(f"The text-to-speech service cannot be reached: {exc}",
                       code="network") from exc
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if response.status_code != 200:
        raise TtsError(f"The text-to-speech service answered {response.status_code}.",
                       code=str(response.status_code))
    if content_type not in AUDIO_TYPES:
        raise TtsError(f"The text-to-speech service answered {content_type or 'no type'}, "
                       "not audio.", code="not_audio")
    if not response.content or len(response.content) > MAX_AUDIO_BYTES:
        raise TtsError("The text-to-speech service answered no audio or too much.",
                       code="bad_size")
    logger.info("Speech made (%s, %s bytes)", language, len(response.content))
    return Speech(audio=response.content, extension=AUDIO_TYPES[content_type])
