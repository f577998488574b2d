"""Message texts from the librarians' templates, dates as people say them, and the quiet
hours messages wait for."""
import datetime
import re
import zoneinfo

from django.conf import settings
from django.utils import timezone

from backend.core.prepared import PreparedRead
from backend.notifications.models import Channel, MessageTemplate

# Languages Twilio's <Say> voices speak. Kazakh has none: a Kazakh reader's call plays
# audio (text to speech or recorded prompts, backend/notifications/voice.py) and falls back
# to the Russian text said by the Russian voice (docs/messages.md).
VOICE_LANGUAGES = frozenset({"ru"})
AUDIO_LANGUAGES = frozenset({"kk"})
DEFAULT_QUIET_START = datetime.time(9, 0)
DEFAULT_QUIET_END = datetime.time(20, 0)
RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря")
RU_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
               "воскресенье")
KK_MONTHS = ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
             "қыркүйек", "қазан", "қараша", "желтоқсан")
KK_WEEKDAYS = ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі")


class TemplateMissing(LookupError):
    pass


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _said(value, language: str) -> str:
    """A variable's text; a value given per language ({"ru": ..., "kk": ...}, such as a
    holiday's name) in the language the text is said in."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get(language) or value.get("ru") or next(iter(value.values()), ""))
    return str(value)


# Read for every message written: its SQL built once per connection (core.prepared).
_TEMPLATES = PreparedRead(lambda code: MessageTemplate.objects.filter(code=code)
                          .values("channel", "language", "text"), "code", texts=("code",))


def render(code: str, *, channel: str, language: str, context: dict) -> tuple[str, str]:
    """The text of event `code` for the recipient: (text, language it is in).

    The recipient's language first, Russian otherwise; a call without a voice template
    says the SMS text. A call in a language neither a voice speaks nor audio is made for
    is made in Russian.
    """
    if channel == Channel.VOICE and language not in VOICE_LANGUAGES | AUDIO_LANGUAGES:
        language = "ru"
    texts = {(t["channel"], t["language"]): t["text"] for t in _TEMPLATES.rows(code=str(code))}
    for key in ((channel, language), (Channel.SMS, language), (channel, "ru"),
                (Channel.SMS, "ru")):
        if key in texts:
            values = _Blank({k: _said(v, key[1]) for k, v in context.items()})
            # An optional variable left empty leaves no double space behind.
            return re.sub(r" {2,}", " ", texts[key].format_map(values)).strip(), key[1]
    raise TemplateMissing(f"No template for {code} ({channel}, {language}).")


def say_date(day: datetime.date, language: str) -> str:
    """`среда, 12 марта` / `12 наурыз, сәрсенбі`."""
    if language == "kk":
        return f"{day.day} {KK_MONTHS[day.month - 1]}, {KK_WEEKDAYS[day.weekday()]}"
    return f"{RU_WEEKDAYS[day.weekday()]}, {day.day} {RU_MONTHS[day.month - 1]}"


def local_today(branch) -> datetime.date:
    """Today in the branch's zone (`branch`: anything with a `time_zone`, or None)."""
    return timezone.now().astimezone(branch_zone(branch)).date()


def local_at(day: datetime.date, time, branch) -> datetime.datetime:
    """`day` at `time` (a time or "HH:MM") in the branch's zone."""
    if isinstance(time, str):
        time = datetime.time.fromisoformat(time)
    return datetime.datetime.combine(day, time, tzinfo=branch_zone(branch))


def _time(value, default: datetime.time) -> datetime.time:
    if value in (None, ""):
        return default
    if isinstance(value, str):
        return datetime.time.fromisoformat(value)
    return value


def branch_zone(branch) -> zoneinfo.ZoneInfo:
    name = getattr(branch, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def next_allowed_time(at: datetime.datetime, branch=None) -> datetime.datetime:
    """`at`, or the start of the branch's messaging hours after it (default 09:00–20:00
    local): a reminder due at 22:30 goes out at 09:00 the next morning."""
    start = _time(getattr(branch, "quiet_hours_start", None), DEFAULT_QUIET_START)
    end = _time(getattr(branch, "quiet_hours_end", None), DEFAULT_QUIET_END)
    if start >= end:
        return at  # no usable hours set: do not hold messages forever
    zone = branch_zone(branch)
    local = at.astimezone(zone)
    if start <= local.time() < end:
        return at
    day = local.date() if local.time() < start else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, start, tzinfo=zone)
