"""The reader card's preferences and home hours in the librarians' admin, without JSON.

Preferences are five fields (subjects, authors and the never-send list as tags; formats and
languages as ticks with their names) that `ReaderPreferencesForm.clean` assembles into the
stored `preferences` object, checked by the API's PreferencesSerializer. Home hours are a
weekly grid (`WeekHoursField`) that gives the API's `availability` list. The form reports
`preferences` as changed only when the assembled object differs from the card's, so the
service writes a history row only for a real change."""
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.catalog.selectors import catalog_authors, catalog_subjects
from backend.core.forms import TagListField, TagsWidget
from backend.readers.card_text import WEEKDAY_NAMES
from backend.readers.models import Language
from backend.readers.serializers import FORMAT_CHOICES, PreferencesSerializer
from backend.readers.widgets import WeekHoursWidget

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$")


# Home hours ------------------------------------------------------------------------------------


def _minutes(text: str) -> int | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalized_windows(windows: Any) -> list[dict[str, Any]]:
    """Stored windows in one order (day, start), so two equal lists compare equal."""
    result = []
    for window in windows or []:
        if isinstance(window, dict):
            result.append({"weekday": int(window.get("weekday", 0)),
                           "start": str(window.get("start", "")),
                           "end": str(window.get("end", ""))})
    return sorted(result, key=lambda w: (w["weekday"], w["start"], w["end"]))


class WeekHoursField(forms.Field):
    """When someone is at home, as a grid Monday..Sunday of from–to windows. Gives the API's
    `availability` list; an empty grid means any time. Every error names its day."""

    widget = WeekHoursWidget
    default_error_messages = {
        "half_window": _("%(day)s: give both the start and the end of the window."),
        "bad_time": _("%(day)s: enter the time as hours and minutes, e.g. 10:00."),
        "end_before_start": _("%(day)s: the window %(start)s–%(end)s must end after it "
                              "starts."),
        "overlap": _("%(day)s: the windows %(first)s and %(second)s overlap."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value in self.empty_values:
            return []
        if isinstance(value, list) and all(isinstance(w, dict) for w in value):
            return normalized_windows(value)
        errors: list[ValidationError] = []
        windows: list[dict[str, Any]] = []
        for day, pairs in enumerate(list(value)[:7]):
            name = str(WEEKDAY_NAMES[day])
            spans: list[tuple[int, int]] = []
            for start_text, end_text in pairs:
                if not start_text and not end_text:
                    continue
                if not start_text or not end_text:
                    errors.append(self._error("half_window", day=name))
                    continue
                start, end = _minutes(start_text), _minutes(end_text)
                if start is None or end is None:
                    errors.append(self._error("bad_time", day=name))
                    continue
                if end <= start:
                    errors.append(self._error("end_before_start", day=name,
                                              start=_clock(start), end=_clock(end)))
                    continue
                spans.append((start, end))
            spans.sort()
            for (first_start, first_end), (second_start, second_end) in zip(spans, spans[1:]):
                if second_start < first_end:
                    errors.append(self._error(
                        "overlap", day=name,
                        first=f"{_clock(first_start)}–{_clock(first_end)}",
                        second=f"{_clock(second_start)}–{_clock(second_end)}",
                    ))
            windows.extend({"weekday": day, "start": _clock(start), "end": _clock(end)}
                           for start, end in spans)
        if errors:
            raise ValidationError(errors)
        return windows

    def _error(self, code: str, **params: str) -> ValidationError:
        return ValidationError(self.error_messages[code] % params, code=f"availability.{code}")

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        try:
            return normalized_windows(initial) != self.to_python(data)
        except ValidationError:
            return True


# Preferences -----------------------------------------------------------------------------------


# Form field → key of the stored preferences.
PREFERENCE_FIELDS = {
    "pref_subjects": "subjects",
    "pref_authors": "authors",
    "pref_formats": "formats",
    "pref_languages": "languages",
    "pref_never_send": "never_send",
}


def _plain_preferences(value: Any) -> dict[str, Any]:
    """Preferences without empty lists, so `{}` and `{"subjects": []}` are the same."""
    if not isinstance(value, dict):
        return {}
    return {key: items for key, items in value.items() if items not in (None, "", [], {})}


class ReaderPreferencesForm(forms.Form):
    """The preference fields of a reader card form; mixed into ReaderAdminForm."""

    pref_subjects = TagListField(
        label=capfirst(_("subjects")), max_length=100,
        widget=TagsWidget(suggestions=catalog_subjects),
        help_text=_("Pick from the catalog's subjects or type your own; one per line."),
    )
    pref_authors = TagListField(
        label=capfirst(_("authors")), max_length=200,
        widget=TagsWidget(suggestions=catalog_authors),
        help_text=_("Pick from the catalog's authors or type a name; one per line."),
    )
    pref_formats = forms.MultipleChoiceField(
        label=capfirst(_("formats")), choices=FORMAT_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Suggestions prefer these formats."),
    )
    pref_languages = forms.MultipleChoiceField(
        label=capfirst(_("languages")), choices=Language.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pref_never_send = TagListField(
        label=capfirst(_("never send")), max_length=300,
        widget=TagsWidget(suggest_url_name="titles"),
        help_text=_("Titles never to send: search the catalog by title or author, or type "
                    "the exact title or its ISBN; one per line."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The stored object is assembled from the fields above, never typed.
        self.fields.pop("preferences", None)
        instance = getattr(self, "instance", None)
        stored = (getattr(instance, "preferences", None) or {}) if instance is not None else {}
        if isinstance(stored, dict):
            for name, key in PREFERENCE_FIELDS.items():
                if name in self.fields and isinstance(stored.get(key), list):
                    self.initial.setdefault(name, list(stored[key]))

    def _stored_preferences(self) -> dict[str, Any]:
        stored = getattr(getattr(self, "instance", None), "preferences", None)
        return stored if isinstance(stored, dict) else {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        shown = [name for name in PREFERENCE_FIELDS if name in self.fields]
        if not shown or any(name in self.errors for name in shown):
            return cleaned
        # Keys the form does not show stay as they are.
        wanted = {key: value for key, value in self._stored_preferences().items()
                  if key not in PREFERENCE_FIELDS.values()}
        wanted.update({PREFERENCE_FIELDS[name]: list(cleaned.get(name) or []) for name in shown})
        serializer = PreferencesSerializer(data=wanted)
        if not serializer.is_valid():
            by_key = {key: name for name, key in PREFERENCE_FIELDS.items()}
            for key, messages in serializer.errors.items():
                target = by_key.get(key) if by_key.get(key) in self.fields else None
                for message in _messages(messages):
                    self.add_error(target, message)
            return cleaned
        cleaned["preferences"] = _plain_preferences(
            {key: list(value) for key, value in serializer.validated_data.items()
             if key in wanted} | {key: value for key, value in wanted.items()
                                  if key not in serializer.fields})
        return cleaned

    @cached_property
    def changed_data(self) -> list[str]:
        names = list(super().changed_data)
        shown = [name for name in PREFERENCE_FIELDS if name in self.fields]
        if any(name in names for name in shown):
            new = getattr(self, "cleaned_data", {}).get("preferences")
            if new is None or _plain_preferences(new) != _plain_preferences(
                    self._stored_preferences()):
                names.append("preferences")
        return names


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in _messages(value)]
    return [str(errors)]
