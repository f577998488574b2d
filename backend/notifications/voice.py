"""Which voice a call speaks with, decided for each call when it is made.

Twilio's voices speak Russian but no Kazakh, so a call in a language of AUDIO_LANGUAGES
plays audio instead of `<Say>`, the first of these that works:

1. **Text to speech** (`tts`): the message's text made into audio by the library's own
   service at TTS_URL (backend/notifications/gateways/tts.py), kept in MEDIA_ROOT/voice/ so
   the same text is asked for once.
2. **Recorded prompts** (`prompts`): clips the library recorded, stitched together, when
   there is a clip for every word of the message (see `prompt_clips` for the naming); the
   reader's and the volunteer's names are left out (nobody records every name).
3. **Russian voice** (`say`): Twilio says the Russian text of the message, as before.

The mode is recorded on the message (`Message.voice_mode`) and shown on the reader's card.
Audio needs a public address Twilio can fetch it from (TWILIO_WEBHOOK_BASE_URL): each file
is served at /media/voice/<64 hex>.mp3 (or .wav), a name nobody can guess (a keyed hash of
text, language and voice for speech, the content hash for a recorded clip); nothing else
under MEDIA_ROOT is served and there is no listing.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from backend.notifications.gateways.tts import TtsError, speak, tts_configured, tts_voice
from backend.notifications.models import Channel, Message, VoiceMode
from backend.notifications.texts import AUDIO_LANGUAGES, TemplateMissing, render, say_date

logger = logging.getLogger("kniga03.messages")

CACHE_DIR = "voice"
AUDIO_NAME = re.compile(r"^[0-9a-f]{64}\.(mp3|wav)$")
CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
# Variables that hold people's names: no prompt is recorded for them, they are left out.
PERSON_NAMES = frozenset({"name", "volunteer"})
LONGEST_PHRASE = 12  # words in the longest recorded phrase looked for


@dataclass
class VoicePlan:
    """What a call plays (`audio_urls`, in order) or, in `say` mode, says."""

    mode: str
    audio_urls: list[str] = field(default_factory=list)
    say_text: str = ""
    say_language: str = "ru"


# The cache of audio files -----------------------------------------------------------------------


def _public_base() -> str:
    return (getattr(settings, "TWILIO_WEBHOOK_BASE_URL", "") or "").rstrip("/")


def audio_url(name: str) -> str:
    """The public address of a cached file (`<hex>.mp3`), or "" when there is none."""
    base = _public_base()
    if not base:
        return ""
    try:
        return base + reverse("voice-audio", kwargs={"name": name})
    except NoReverseMatch:
        return ""


def cached_audio(name: str) -> str | None:
    """The storage path of a cached file named `<64 hex>.mp3|wav`; None for any other
    name or a file that is not there."""
    if not AUDIO_NAME.match(name or ""):
        return None
    path = f"{CACHE_DIR}/{name}"
    return path if default_storage.exists(path) else None


def _store(key: str, extension: str, data: bytes) -> str:
    name = f"{key}.{extension}"
    if cached_audio(name) is None:
        default_storage.save(f"{CACHE_DIR}/{name}", ContentFile(data))
    return name


def speech_key(text: str, language: str, voice: str) -> str:
    """The cache key of a text's speech: keyed with SECRET_KEY, so a file's address says
    nothing of its text and cannot be worked out from a guessed text."""
    message = f"{language}\n{voice}\n{text}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def speech_audio(*, text: str, language: str) -> str:
    """The cached file name of `text` said in `language`; the service is asked only when
    the cache does not have it. Raises TtsError."""
    key = speech_key(text, language, tts_voice())
    for extension in CONTENT_TYPES:
        if cached_audio(f"{key}.{extension}"):
            return f"{key}.{extension}"
    speech = speak(text=text, language=language)
    return _store(key, speech.extension, speech.audio)


def voice_audio_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete call audio older than VOICE_AUDIO_KEEP_DAYS (7): speech says readers' names
    and visits, and Twilio fetched it when the call was made (a retried call asks again,
    or copies a recorded clip again). Answers how many files went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=getattr(settings, "VOICE_AUDIO_KEEP_DAYS", 7))
    try:
        _dirs, files = default_storage.listdir(CACHE_DIR)
    except FileNotFoundError:
        return 0
    pruned = 0
    for name in files:
        path = f"{CACHE_DIR}/{name}"
        if AUDIO_NAME.match(name) and default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            pruned += 1
    return pruned


# Recorded prompts -------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def prompts_dir(language: str) -> Path | None:
    root = getattr(settings, "VOICE_PROMPTS_DIR", "") or ""
    if not root:
        return None
    folder = Path(root) / language
    return folder if folder.is_dir() else None


def prompt_index(language: str) -> dict[str, Path]:
    """The library's clips for `language`: VOICE_PROMPTS_DIR/<language>/<name>.mp3 (or .wav),
    `name` being the words the clip says, lower case, joined by `_` (`12.mp3`,
    `наурыз.mp3`, `сәрсенбі.mp3`, `еріктінің_келуін_еске_саламыз.mp3`)."""
    folder = prompts_dir(language)
    if folder is None:
        return {}
    return {_normal(path.stem): path for path in sorted(folder.iterdir())
            if path.is_file() and path.suffix.lower().lstrip(".") in CONTENT_TYPES}


def prompt_words(text: str) -> list[str]:
    """The words a text is said in: a time `10:00` is the hour's number (`10`), and the
    minutes' number unless they are 00 (`10:30` → `10`, `30`); punctuation is not said."""
    text = re.sub(r"\b(\d{1,2}):(\d{2})\b",
                  lambda m: str(int(m[1])) + ("" if m[2] == "00" else f" {int(m[2])}"),
                  _normal(text))
    return re.findall(r"\w+", text)


def prompt_clips(words: list[str], index: dict[str, Path]) -> list[Path] | None:
    """The clips that say `words`, longest recorded phrase first; None when a word has no
    clip (the message is then not said with prompts at all)."""
    clips, start = [], 0
    while start < len(words):
        for end in range(min(len(words), start + LONGEST_PHRASE), start, -1):
            clip = index.get("_".join(words[start:end]))
            if clip is not None:
                clips.append(clip)
                start = end
                break
        else:
            return None
    return clips or None


def _prompt_text(message: Message) -> str | None:
    """The message's text without people's names, dates said in its language."""
    values = {}
    for key, value in (message.context or {}).items():
        if key in PERSON_NAMES:
            continue
        if isinstance(value, str) and len(value) == 10:
            with contextlib.suppress(ValueError):
                value = say_date(datetime.date.fromisoformat(value), message.language)
        values[key] = value
    try:
        text, language = render(message.template, channel=Channel.VOICE,
                                language=message.language, context=values)
    except TemplateMissing:
        return None
    return text if language == message.language else None


def prompt_audio(message: Message) -> list[str] | None:
    """The cached names of the clips that say the message, in order, or None."""
    index = prompt_index(message.language)
    if not index:
        return None
    text = _prompt_text(message)
    clips = prompt_clips(prompt_words(text), index) if text else None
    if clips is None:
        return None
    names = []
    for clip in clips:
        data = clip.read_bytes()
        extension = clip.suffix.lower().lstrip(".")
        names.append(_store(hashlib.sha256(data).hexdigest(), extension, data))
    return names


# The decision -----------------------------------------------------------------------------------


def voice_plan(message: Message) -> VoicePlan:
    """How the call of `message` speaks: audio in the reader's language when it can be
    had (text to speech, then recorded prompts), else Twilio's Russian voice."""
    if message.language not in AUDIO_LANGUAGES:
        return VoicePlan(VoiceMode.SAY, say_text=message.text, say_language=message.language)
    if _public_base():
        if tts_configured():
            try:
                url = audio_url(speech_audio(text=message.text, language=message.language))
            except (TtsError, OSError) as exc:
                logger.warning("No speech for message %s (%s): %s", message.pk,
                               getattr(exc, "code", "storage"), exc)
            else:
                if url:
                    return VoicePlan(VoiceMode.TTS, audio_urls=[url])
        try:
            names = prompt_audio(message)
        except (OSError, ValueError) as exc:  # a clip unreadable, a template gone bad
            logger.warning("No recorded prompts for message %s: %s", message.pk, exc)
            names = None
        urls = [audio_url(name) for name in names or []]
        if urls and all(urls):
            return VoicePlan(VoiceMode.PROMPTS, audio_urls=urls)
    return VoicePlan(VoiceMode.SAY, say_text=message.say_text or message.text,
                     say_language="ru")
