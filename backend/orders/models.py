"""Orders (заявки), their lines, the call log."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.core.dates import validate_calendar_date
from backend.core.models import TimeStampedModel


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    SMS = "sms", _("SMS")
    CAREGIVER = "caregiver", _("Caregiver")
    STANDING_PLAN = "standing_plan", _("Standing plan")


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    PICKING = "picking", _("Picking")
    READY = "ready", _("Ready")
    SCHEDULED = "scheduled", _("Scheduled")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    PARTIALLY_DELIVERED = "partially_delivered", _("Partially delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (
    OrderStatus.NEW, OrderStatus.PICKING, OrderStatus.READY, OrderStatus.SCHEDULED,
    OrderStatus.OUT_FOR_DELIVERY, OrderStatus.FAILED,
)


class FailReason(models.TextChoices):
    NOT_HOME = "not_home", _("Nobody at home")
    REFUSED = "refused", _("Refused")
    UNREACHABLE = "unreachable", _("Could not reach the address")
    OTHER = "other", _("Other")


class Order(TimeStampedModel):
    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.PROTECT, related_name="orders")
    family_card = models.ForeignKey(
        "readers.FamilyCard", verbose_name=_("family card"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="orders",
    )
    branch = models.ForeignKey("branches.Branch", verbose_name=_("branch"),
                               on_delete=models.PROTECT, related_name="orders")
    channel = models.CharField(_("channel"), max_length=15, choices=Channel.choices,
                               default=Channel.PHONE)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices,
                              default=OrderStatus.NEW)
    preferred_date = models.DateField(_("preferred date"), null=True, blank=True,
                                      validators=[validate_calendar_date])
    window_start = models.TimeField(_("window from"), null=True, blank=True)
    window_end = models.TimeField(_("window to"), null=True, blank=True)
    scheduled_date = models.DateField(_("scheduled for"), null=True, blank=True,
                                      validators=[validate_calendar_date])
    note = models.TextField(_("note"), blank=True)
    standing_plan = models.ForeignKey(
        "plans.StandingPlan", verbose_name=_("standing plan"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="orders",
    )
    fail_reason = models.CharField(_("why it failed"), max_length=12,
                                   choices=FailReason.choices, blank=True)
    fail_note = models.TextField(_("failure note"), blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken by"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "status", "preferred_date"]),
            models.Index(fields=["reader", "status"]),
            models.Index(fields=["status", "scheduled_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True) | Q(window_end__isnull=True)
                | Q(window_start__lt=models.F("window_end")),
                name="order_window_ordered",
            ),
            # A standing plan makes at most one order per date, however often the job runs.
            models.UniqueConstraint(fields=["standing_plan", "preferred_date"],
                                    condition=Q(standing_plan__isnull=False),
                                    name="order_one_per_plan_date"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class LineKind(models.TextChoices):
    TITLE = "title", _("Exact title")
    WISH = "wish", _("Wish")


class LineStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for a copy")
    RESERVED = "reserved", _("Copy reserved")
    DELIVERED = "delivered", _("Delivered")
    NOT_DELIVERED = "not_delivered", _("Not delivered")
    CANCELLED = "cancelled", _("Cancelled")


# A line still to be served: it holds a title (and maybe its copy) for the household.
LIVE_LINE_STATUSES = (LineStatus.WAITING, LineStatus.RESERVED)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="lines")
    reader = models.ForeignKey("readers.Reader", verbose_name=_("for reader"),
                               on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=5, choices=LineKind.choices)
    title = models.ForeignKey("catalog.Title", verbose_name=_("title"),
                              on_delete=models.PROTECT, null=True, blank=True,
                              related_name="order_lines")
    wish_text = models.CharField(_("wish"), max_length=300, blank=True)
    wish_format = models.CharField(_("format"), max_length=12, blank=True)
    wish_language = models.CharField(_("language"), max_length=5, blank=True)
    wish_subject = models.CharField(_("subject"), max_length=100, blank=True)
    item = models.ForeignKey("catalog.Item", verbose_name=_("copy"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="order_lines")
    status = models.CharField(_("status"), max_length=15, choices=LineStatus.choices,
                              default=LineStatus.WAITING)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        indexes = [models.Index(fields=["status", "title"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="wish") | Q(title__isnull=False), name="line_title_has_title"
            ),
            # A copy is on at most one live line at a time.
            models.UniqueConstraint(fields=["item"], condition=Q(status=LineStatus.RESERVED),
                                    name="line_item_reserved_once"),
        ]

    def __str__(self) -> str:
        return self.wish_text or (str(self.title) if self.title_id else "?")


class OrderEvent(models.Model):
    """The order's life: every status change, who made it and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        names = dict(OrderStatus.choices)
        return f"{names.get(self.from_status, self.from_status or '—')} → " \
               f"{names.get(self.to_status, self.to_status)}"


class CallOutcome(models.TextChoices):
    ORDER_TAKEN = "order_taken", _("Order taken")
    RENEWAL = "renewal", _("Renewal")
    VISIT_MOVED = "visit_moved", _("Visit moved")
    INFORMATION = "information", _("Information")
    COMPLAINT = "complaint", _("Complaint")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    OTHER = "other", _("Other")


class CallLog(models.Model):
    """Every call at the phone desk: number, reader, operator, outcome, duration."""

    class Direction(models.TextChoices):
        INCOMING = "in", _("Incoming")
        OUTGOING = "out", _("Outgoing")

    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="calls")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("operator"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="calls")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices,
                                 default=Direction.INCOMING)
    outcome = models.CharField(_("outcome"), max_length=15, choices=CallOutcome.choices)
    started_at = models.DateTimeField(_("started"), db_index=True)
    duration_seconds = models.PositiveIntegerField(_("duration, seconds"), default=0)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="calls")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("call log")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.phone} {self.started_at:%Y-%m-%d %H:%M}"
