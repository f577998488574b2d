"""The report's figures of a period, counted once at night and read by the report page.

A year of a national library is millions of loans: counting its distinct readers takes
seconds, and the report counts two periods. `reports.refresh_figures` stores each branch's
and the whole district's figures of the recent months, quarters and years; `report()` reads
them when they are right (see `figures.stored_usable`)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.branches.models import Branch

WHOLE_DISTRICT = "all"


def scope_key(branch: Branch | None) -> str:
    """One string per branch and one for the whole district: a unique key that SQLite and
    PostgreSQL both treat alike (a NULL branch would never clash with another NULL)."""
    return WHOLE_DISTRICT if branch is None else f"branch:{branch.pk}"


class PeriodFigures(models.Model):
    scope = models.CharField(_("scope"), max_length=32, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    figures = models.JSONField(_("figures"))
    computed_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("stored report figures")
        verbose_name_plural = _("stored report figures")
        constraints = [
            models.UniqueConstraint(fields=["scope", "start", "end"],
                                    name="reports_figures_one_per_period"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="reports_figures_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"
