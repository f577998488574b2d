"""Fields that apps above readers write into a card's history (CardChange.changes), with
how a person reads them: plans write a card's standing plan there. The app registers the
field in its `AppConfig.ready()`; the card history in the admin then shows its label and its
values in words, never the stored JSON."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HistoryField:
    label: Any  # a lazy translation
    show: Callable[[Any], str]


_FIELDS: dict[str, HistoryField] = {}


def history_field_add(name: str, *, label: Any, show: Callable[[Any], str]) -> None:
    """Name the history field `name` with `label`; `show(value)` gives one value in words."""
    _FIELDS[name] = HistoryField(label=label, show=show)


def history_field(name: str) -> HistoryField | None:
    return _FIELDS.get(name)
