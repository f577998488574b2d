import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.core.models import TimeStampedModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="invalid")


def branch_zone(branch: "Branch | None" = None) -> zoneinfo.ZoneInfo:
    """The branch's time zone; the site's (settings.TIME_ZONE) when there is no branch or it
    names none we know."""
    name = getattr(branch, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def branch_today(branch: "Branch | None" = None) -> datetime.date:
    """Today's date on the branch (in its zone), or the site's when there is no branch."""
    return timezone.localdate(timezone=branch_zone(branch))


class Branch(TimeStampedModel):
    """A library (the central one or a village branch): the depot routes start from."""

    code = models.CharField(
        _("code"), max_length=8, unique=True, help_text=_("Short prefix of card numbers.")
    )
    name = models.CharField(_("name"), max_length=200)
    is_central = models.BooleanField(_("central library"), default=False)
    settlement = models.CharField(_("settlement"), max_length=120)
    address = models.CharField(_("address"), max_length=250, blank=True)
    lat = models.FloatField(
        _("latitude"), null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        _("longitude"), null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    duty_phone = models.CharField(
        _("duty phone"), max_length=20, blank=True,
        help_text=_("A mobile that takes SMS: volunteers' concerns about readers reach it "
                    "at once, day or night."))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Almaty", validators=[validate_time_zone]
    )
    loan_days = models.PositiveSmallIntegerField(_("loan period, days"), default=30)
    max_renewals = models.PositiveSmallIntegerField(_("renewals allowed"), default=2)
    reader_loan_limit = models.PositiveSmallIntegerField(
        _("items on loan per reader"), default=10
    )
    family_loan_limit = models.PositiveSmallIntegerField(
        _("items on loan per family card"), default=20
    )
    history_months = models.PositiveSmallIntegerField(
        _("do not resend titles read within, months"), default=12
    )
    quiet_hours_start = models.TimeField(_("messages not before"), default="09:00")
    quiet_hours_end = models.TimeField(_("messages not after"), default="20:00")

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["-is_central", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Where the branch's times are shown: its time zone (Asia/Almaty by default)."""
        return branch_zone(self)

    def today(self) -> datetime.date:
        """Today's date on the branch."""
        return branch_today(self)

    def clean(self) -> None:
        super().clean()
        if self.duty_phone:
            from backend.core.phones import to_e164

            number = to_e164(self.duty_phone)
            if number is None:
                raise ValidationError({"duty_phone": _("Enter a valid phone number.")},
                                      code="invalid")
            self.duty_phone = number
