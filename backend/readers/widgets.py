"""Widgets of the reader card form in the librarians' admin: the home hours as a weekly grid
of plain time inputs (the tags are backend.core.forms.TagsWidget)."""
from typing import Any

from django import forms

from backend.readers.card_text import WEEKDAY_NAMES

# A day shows two windows; a card imported with more keeps them all (one more row each).
GRID_WINDOWS = 2
GRID_MAX_WINDOWS = 6

CARD_FORM_MEDIA = forms.Media(css={"all": ["css/card_form.css"]})


def _grid_from_windows(windows: list[dict[str, Any]]) -> list[list[tuple[str, str]]]:
    grid: list[list[tuple[str, str]]] = [[] for _day in range(7)]
    for window in sorted(windows, key=lambda w: (str(w.get("start", "")), str(w.get("end", "")))):
        try:
            day = int(window.get("weekday"))
        except (TypeError, ValueError):
            continue
        if 0 <= day <= 6:
            grid[day].append((str(window.get("start") or ""), str(window.get("end") or "")))
    return grid


class WeekHoursWidget(forms.Widget):
    """Monday to Sunday, each with time windows from–to (`<input type="time">`).

    Its value is the grid as typed: seven lists of (start, end) text pairs; the field reads
    and checks it (backend/readers/card_fields.py, WeekHoursField)."""

    template_name = "readers/widgets/week_hours.html"

    @property
    def media(self) -> forms.Media:
        return CARD_FORM_MEDIA

    @staticmethod
    def input_name(name: str, day: int, slot: int, end: str) -> str:
        return f"{name}_{day}_{slot}_{end}"

    def value_from_datadict(self, data, files, name: str) -> list[list[tuple[str, str]]]:
        grid = []
        for day in range(7):
            windows = []
            for slot in range(GRID_MAX_WINDOWS):
                start_name = self.input_name(name, day, slot, "start")
                end_name = self.input_name(name, day, slot, "end")
                if start_name not in data and end_name not in data:
                    continue
                windows.append(((data.get(start_name) or "").strip(),
                                (data.get(end_name) or "").strip()))
            grid.append(windows)
        return grid

    def value_omitted_from_data(self, data, files, name: str) -> bool:
        prefix = f"{name}_"
        return not any(str(key).startswith(prefix) for key in data)

    def format_value(self, value: Any) -> list[list[tuple[str, str]]]:
        if not value:
            return [[] for _day in range(7)]
        if isinstance(value, list) and all(isinstance(w, dict) for w in value):
            return _grid_from_windows(value)
        if isinstance(value, list) and len(value) == 7:
            return [list(day) for day in value]
        return [[] for _day in range(7)]

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id") or name
        grid = context["widget"]["value"]
        slots = max([GRID_WINDOWS, *(len(day) for day in grid)])
        rows = []
        for day, windows in enumerate(grid):
            padded = list(windows) + [("", "")] * (slots - len(windows))
            rows.append({
                "name": WEEKDAY_NAMES[day],
                "windows": [{
                    "number": slot + 1,
                    "start": start, "end": end,
                    "start_name": self.input_name(name, day, slot, "start"),
                    "end_name": self.input_name(name, day, slot, "end"),
                    "start_id": f"{base_id}_{day}_{slot}_start",
                    "end_id": f"{base_id}_{day}_{slot}_end",
                } for slot, (start, end) in enumerate(padded)],
            })
        context["widget"].update({"rows": rows, "slots": range(1, slots + 1)})
        return context

    def id_for_label(self, id_: str) -> str:
        # The label names the whole grid; Monday's first "from" is where typing starts.
        return f"{id_}_0_0_start" if id_ else id_
