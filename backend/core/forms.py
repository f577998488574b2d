"""Form fields shared by the admins: lists typed as words, one per line."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class WordListField(forms.CharField):
    """A list of short texts (authors, subjects) typed one per line, or separated by `;`.

    Stored as a JSON list; shown as lines, never as JSON. Empty lines and repeats are
    dropped, order is kept.
    """

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60, "class": "vLargeTextField"})

    def __init__(self, *, item_max_length: int = 200, max_items: int = 50, **kwargs):
        self.item_max_length = item_max_length
        self.max_items = max_items
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("One per line."))
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return value or ""

    def to_python(self, value) -> list[str]:
        if isinstance(value, (list, tuple)):
            items = [str(item) for item in value]
        else:
            text = super().to_python(value) or ""
            items = text.replace(";", "\n").splitlines()
        words: list[str] = []
        for item in items:
            word = " ".join(item.split())
            if word and word not in words:
                words.append(word)
        return words

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        for word in value:
            if len(word) > self.item_max_length:
                raise forms.ValidationError(
                    ngettext("“%(word)s…” is longer than %(limit)d character.",
                             "“%(word)s…” is longer than %(limit)d characters.",
                             self.item_max_length)
                    % {"word": word[:30], "limit": self.item_max_length},
                    code="too_long")
        if len(value) > self.max_items:
            raise forms.ValidationError(
                ngettext("At most %(limit)d line.", "At most %(limit)d lines.", self.max_items)
                % {"limit": self.max_items}, code="too_many")

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        return self.to_python(initial or []) != self.to_python(data)
