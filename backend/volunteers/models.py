"""Volunteers: who carries the books, how, how much, and when they are free."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backend.core.dates import validate_calendar_date
from backend.core.models import TimeStampedModel
from backend.core.recurrence_text import rrule_describe


class Transport(models.TextChoices):
    FOOT = "foot", _("On foot")
    BICYCLE = "bicycle", _("Bicycle")
    CAR = "car", _("Car")
    PUBLIC_TRANSPORT = "public_transport", _("Public transport")


# Door-to-door speeds in km/h used when a volunteer has none of their own.
DEFAULT_SPEED_KMH = {
    Transport.FOOT: 4.5,
    Transport.BICYCLE: 12.0,
    Transport.CAR: 30.0,
    Transport.PUBLIC_TRANSPORT: 15.0,
}


class Place(models.TextChoices):
    BRANCH = "branch", _("Branch")
    HOME = "home", _("Home")


class Volunteer(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                                on_delete=models.PROTECT, related_name="volunteer")
    branch = models.ForeignKey("branches.Branch", verbose_name=_("home branch"),
                               on_delete=models.PROTECT, related_name="volunteers")
    transport = models.CharField(_("transport"), max_length=20, choices=Transport.choices,
                                 default=Transport.FOOT)
    speed_kmh = models.FloatField(
        _("speed, km/h"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Leave empty for the usual speed of the transport."),
    )
    capacity = models.PositiveSmallIntegerField(
        _("items they can carry"), default=15, validators=[MinValueValidator(1),
                                                           MaxValueValidator(200)])
    max_stops = models.PositiveSmallIntegerField(
        _("most stops in a shift"), default=12, validators=[MinValueValidator(1),
                                                            MaxValueValidator(100)])
    starts_at = models.CharField(_("starts at"), max_length=6, choices=Place.choices,
                                 default=Place.BRANCH)
    ends_at = models.CharField(_("ends at"), max_length=6, choices=Place.choices,
                               default=Place.BRANCH)
    home_address = models.CharField(_("home address"), max_length=250, blank=True)
    home_lat = models.FloatField(_("home latitude"), null=True, blank=True,
                                 validators=[MinValueValidator(-90), MaxValueValidator(90)])
    home_lon = models.FloatField(_("home longitude"), null=True, blank=True,
                                 validators=[MinValueValidator(-180), MaxValueValidator(180)])
    languages = models.JSONField(_("languages"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["user__last_name", "user__first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(starts_at="branch") & Q(ends_at="branch"))
                | (Q(home_lat__isnull=False) & Q(home_lon__isnull=False)),
                name="volunteer_home_needs_coordinates",
                violation_error_message=_("Starting or ending at home needs home coordinates."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def speed(self) -> float:
        return self.speed_kmh or DEFAULT_SPEED_KMH[Transport(self.transport)]


class Shift(models.Model):
    """A recurring shift: an RFC 5545 RRULE and the hours."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="shifts")
    # An RFC 5545 RRULE (backend/core/recurrence.py), shown as a sentence.
    rrule = models.CharField(_("repeats"), max_length=300,
                             help_text=_("On which days the shift repeats."))
    starts_on = models.DateField(_("from"), validators=[validate_calendar_date])
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               validators=[validate_calendar_date])
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_on", "start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=models.F("end_time")),
                                   name="shift_times_ordered"),
        ]

    def __str__(self) -> str:
        return f"{capfirst(rrule_describe(self.rrule, self.starts_on))} " \
               f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Absence(models.Model):
    """A one-off absence: illness, a trip. Whole days."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("from"), validators=[validate_calendar_date])
    ends_on = models.DateField(_("to"), validators=[validate_calendar_date])
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")),
                                   name="absence_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on}"
