"""Form fields shared by the admins: a list of words or names as tags.

`TagListField` with `TagsWidget`: entries one per line in a text area (without JavaScript),
removable tags with suggestions with it (backend/static/js/tags.js). Stored as a list, shown
as tags or lines, never as JSON: a title's authors and subjects, a reader's preferences."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.core.text import fold

TAGS_MEDIA = forms.Media(css={"all": ["css/tags.css"]}, js=["js/tags.js"])


class TagsWidget(forms.Textarea):
    """Entries one per line in a textarea; with JavaScript, tags with a remove button and an
    input that suggests from `suggestions()` (words from the catalog) or, given
    `suggest_url_name`, from the titles the staff API finds for what is typed."""

    template_name = "core/widgets/tags.html"

    def __init__(self, attrs: dict | None = None, *,
                 suggestions: Callable[[], list[str]] | None = None,
                 suggest_url_name: str = "") -> None:
        super().__init__(attrs={"rows": 3, "cols": 60, "spellcheck": "false", **(attrs or {})})
        self.suggestions = suggestions
        self.suggest_url_name = suggest_url_name

    @property
    def media(self) -> forms.Media:
        return TAGS_MEDIA

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        url = ""
        if self.suggest_url_name:
            try:
                url = reverse(self.suggest_url_name)
            except NoReverseMatch:
                url = ""
        context["widget"].update({
            "suggestions": self.suggestions() if self.suggestions else [],
            "suggest_url": url,
            "list_id": f"{context['widget']['attrs'].get('id') or name}_suggestions",
            "texts": {
                "remove": _("Remove: %(tag)s"),
                "add": _("Type and press Enter to add"),
                "list": _("Chosen"),
            },
        })
        return context


class TagListField(forms.Field):
    """A list of words or names: one per line (tags in the browser), repeats dropped."""

    widget = TagsWidget

    def __init__(self, *, max_length: int, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_python(self, value: Any) -> list[str]:
        if value in self.empty_values:
            return []
        items = value if isinstance(value, (list, tuple)) else str(value).splitlines()
        seen, result = set(), []
        for item in items:
            text = " ".join(str(item).split())
            if text and fold(text) not in seen:
                seen.add(fold(text))
                result.append(text)
        return result

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = [
            ValidationError(
                ngettext("“%(value)s…” is too long: at most %(max)d character.",
                         "“%(value)s…” is too long: at most %(max)d characters.",
                         self.max_length) % {"value": item[:40], "max": self.max_length},
                code="too_long",
            )
            for item in value if len(item) > self.max_length
        ]
        if errors:
            raise ValidationError(errors)

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        return self.to_python(initial) != self.to_python(data)
