"""The reports page: the library's figures for a month, a quarter or a year, per branch,
against the period before, with simple bar charts drawn on the server (no JavaScript)."""
from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from backend.branches.models import Branch
from backend.core.roles import Role
from backend.core.web import RoleRequiredMixin
from backend.reports.figures import as_of_text, default_period, month_name, summary
from backend.reports.route_sheet import format_number

FIRST_YEAR = 2020


class SummaryForm(forms.Form):
    """The pickers. `number` (month or quarter) is also taken, so API links open the page."""

    branch = forms.ModelChoiceField(
        queryset=Branch.objects.order_by("-is_central", "name"), required=False,
        label=gettext_lazy("Branch"), empty_label=gettext_lazy("Whole district"),
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Period"), initial="month",
        choices=[("month", gettext_lazy("Month")), ("quarter", gettext_lazy("Quarter")),
                 ("year", gettext_lazy("Year"))],
    )
    month = forms.TypedChoiceField(label=gettext_lazy("Month"), coerce=int, required=False)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"), coerce=int, required=False,
        choices=[(q, roman) for q, roman in ((1, "I"), (2, "II"), (3, "III"), (4, "IV"))],
    )
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    number = forms.IntegerField(required=False, min_value=1, max_value=12,
                                widget=forms.HiddenInput)

    def __init__(self, *args, today: datetime.date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = today or datetime.date.today()
        self.fields["month"].choices = [(m, month_name(m)) for m in range(1, 13)]
        self.fields["year"].choices = [
            (y, str(y)) for y in range(today.year, FIRST_YEAR - 1, -1)]

    def clean(self):
        data = super().clean()
        kind = data.get("period") or "month"
        chosen = data.get("quarter") if kind == "quarter" else data.get("month")
        number = chosen or data.get("number") or 1
        if kind == "quarter" and number > 4:
            self.add_error("quarter", _("A quarter is 1 to 4."))
        data["number"] = 1 if kind == "year" else number
        return data


def default_query(today: datetime.date | None = None) -> dict[str, Any]:
    year, month = default_period("month", today)
    return {"period": "month", "year": year, "month": month,
            "quarter": (month - 1) // 3 + 1}


class SummaryPage(RoleRequiredMixin, TemplateView):
    roles = (Role.LIBRARIAN, Role.COORDINATOR)
    template_name = "reports/summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        if "year" not in query:
            query = {**default_query(), **{k: v for k, v in query.items() if k == "branch"}}
        elif "number" in query and "month" not in query and "quarter" not in query:
            query = query.copy()
            query["quarter" if query.get("period") == "quarter" else "month"] = query["number"]
        if "quarter" not in query and str(query.get("month", "")).isdigit():
            # Switching a month to its quarter should need one key press, not two.
            query = query.copy() if hasattr(query, "copy") else dict(query)
            query["quarter"] = str((int(query["month"]) - 1) // 3 + 1)
        form = SummaryForm(query)
        if not form.is_valid():
            return {**context, "form": form}
        data = form.cleaned_data
        live = self.request.GET.get("live") == "1"
        report = summary(data["branch"], data["period"], data["year"], data["number"],
                         live=live)
        params = {"period": data["period"], "year": data["year"], "number": data["number"]}
        if data["branch"] is not None:
            params["branch"] = data["branch"].pk
        context.update({
            "form": form,
            "report": report,
            # An open period shown from the night's figures says when they were counted.
            "as_of": as_of_text(report),
            "live_query": urlencode({**params, "live": 1}),
            "sections": _sections(report["rows"]),
            "charts": _charts(report),
            "export_query": urlencode(params),
        })
        return context


# Tables --------------------------------------------------------------------------------------


def _shown(value: int | float) -> str:
    return format_number(value) if isinstance(value, float) else str(value)


def _change(value: int | float) -> str:
    if not value:
        return "0"
    return ("+" if value > 0 else "−") + _shown(abs(value))


def _sections(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    titles = [
        ("readers", _("Readers served")),
        ("categories", _("Readers served by category")),
        ("visits", _("Visits")),
        ("failures", _("Failed visits by reason")),
        ("items", _("Items")),
        ("family_cards", _("Family cards")),
        ("volunteers", _("Volunteers")),
    ]
    sections = []
    for group, title in titles:
        shown = [{
            **row,
            "value_text": _shown(row["value"]),
            "previous_text": _shown(row["previous"]),
            "change_text": _change(row["change"]),
            "trend": "up" if row["change"] > 0 else "down" if row["change"] < 0 else "same",
        } for row in rows if row["group"] == group]
        sections.append({"group": group, "title": title, "rows": shown})
    return sections


# Charts --------------------------------------------------------------------------------------

BAR_HEIGHT = 12
LABEL_WIDTH = 250
CHART_WIDTH = 600


def bar_chart(title: str, bars: list[tuple[str, float, float]], *, now: str, before: str,
              unit: str = "") -> SafeString:
    """Horizontal bars, this period (dark) over the period before (light), as inline SVG.
    Text is escaped here; the result is safe to put in a template."""
    if not bars:
        empty = _("Nothing in this period.")
        return mark_safe(f'<p class="muted">{escape(empty)}</p>')
    peak = max(max(v, p) for _label, v, p in bars) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 60
    row_height = 2 * BAR_HEIGHT + 10
    height = 26 + row_height * len(bars)
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect class="now" x="{LABEL_WIDTH}" y="4" width="10" height="10"/>'
        f'<text x="{LABEL_WIDTH + 14}" y="13">{escape(now)}</text>',
        f'<rect class="before" x="{LABEL_WIDTH + 150}" y="4" width="10" height="10"/>'
        f'<text x="{LABEL_WIDTH + 164}" y="13">{escape(before)}</text>',
    ]
    for index, (label, value, previous) in enumerate(bars):
        y = 24 + index * row_height
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT + 3}" '
            f'text-anchor="end">{escape(short)}</text>'
        )
        for offset, css, number in ((0, "now", value), (BAR_HEIGHT, "before", previous)):
            width = max(round(room * number / peak), 1 if number else 0)
            parts.append(
                f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y + offset}" width="{width}" '
                f'height="{BAR_HEIGHT - 1}"/>'
                f'<text class="value {css}" x="{LABEL_WIDTH + width + 4}" '
                f'y="{y + offset + BAR_HEIGHT - 2}">{escape(_shown(number))}{escape(unit)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = {row["key"]: row for row in report["rows"]}
    now, before = report["period"]["label"], report["previous_period"]["label"]

    def bars(keys: list[str], label=None) -> list[tuple[str, float, float]]:
        return [((label or (lambda r: r["label"]))(rows[k]), rows[k]["value"],
                 rows[k]["previous"]) for k in keys]

    visits = [("visits.made", _("Visits made"))] + [
        (row["key"], _("Failed: %(reason)s") % {"reason": row["label"]})
        for row in report["rows"] if row["group"] == "failures"]
    volunteer_keys = [row["key"] for row in report["rows"]
                      if row["group"] == "volunteers" and row["key"].endswith(".deliveries")]
    categories = [row["key"] for row in report["rows"]
                  if row["group"] == "categories" and (row["value"] or row["previous"])]
    names = {v["id"]: v["name"] for v in report["previous"]["volunteers"]}
    names.update({v["id"]: v["name"] for v in report["current"]["volunteers"]})
    charts = [
        (_("Visits made and failed, by reason"),
         [(label, rows[key]["value"], rows[key]["previous"]) for key, label in visits]),
        (_("Deliveries per volunteer"),
         bars(volunteer_keys, lambda r: names.get(int(r["key"].split(".")[1]), r["label"]))),
        (_("Readers served by category"), bars(categories)),
    ]
    return [{"title": title, "svg": bar_chart(title, data, now=now, before=before)}
            for title, data in charts]
