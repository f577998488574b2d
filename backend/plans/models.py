"""Standing plans (графики обслуживания): visit schedules that make orders on their own."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.core.dates import validate_calendar_date
from backend.core.models import TimeStampedModel
from backend.core.recurrence_text import rrule_describe


class StandingPlan(TimeStampedModel):
    """A schedule of visits (график обслуживания): an RFC 5545 RRULE from `starts_on`."""

    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"), on_delete=models.CASCADE,
                               null=True, blank=True, related_name="standing_plans")
    family_card = models.ForeignKey("readers.FamilyCard", verbose_name=_("family card"),
                                    on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="standing_plans")
    # An RFC 5545 RRULE (backend/core/recurrence.py); people see it as a sentence
    # (backend/core/recurrence_text.py) and choose it with the recurrence picker.
    rrule = models.CharField(_("repeats"), max_length=300,
                             help_text=_("How often the visits repeat."))
    starts_on = models.DateField(_("starts on"), validators=[validate_calendar_date])
    ends_on = models.DateField(_("ends on"), null=True, blank=True,
                               validators=[validate_calendar_date])
    window_start = models.TimeField(_("window from"))
    window_end = models.TimeField(_("window to"))
    items_per_visit = models.PositiveSmallIntegerField(
        _("items per visit"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("standing plan")
        verbose_name_plural = _("standing plans")
        db_table = "readers_standingplan"  # the table kept its name when plans left readers
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(reader__isnull=False) & Q(family_card__isnull=True))
                | (Q(reader__isnull=True) & Q(family_card__isnull=False)),
                name="plan_reader_xor_family",
            ),
            models.CheckConstraint(condition=Q(window_start__lt=models.F("window_end")),
                                   name="plan_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{capfirst(rrule_describe(self.rrule, self.starts_on))} " \
               f"({self.window_start:%H:%M}–{self.window_end:%H:%M})"


class StandingPlanPause(models.Model):
    """A break in a standing plan: hospital, a summer away."""

    plan = models.ForeignKey(StandingPlan, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField(_("from"), validators=[validate_calendar_date])
    ends_on = models.DateField(_("to"), validators=[validate_calendar_date])
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        db_table = "readers_standingplanpause"
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")),
                                   name="pause_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on}"
