"""Day plans, routes and stops: one volunteer's day is a route, an address is a stop."""
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.core.dates import validate_calendar_date
from backend.core.models import TimeStampedModel


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class SolveStatus(models.TextChoices):
    IDLE = "idle", _("Not planned yet")
    QUEUED = "queued", _("Waiting for the planner")
    RUNNING = "running", _("Planning")
    DONE = "done", _("Planned")
    FAILED = "failed", _("Planning failed")


class DayPlan(TimeStampedModel):
    """The day of one branch: its stops and its volunteers' routes."""

    branch = models.ForeignKey("branches.Branch", verbose_name=_("branch"),
                               on_delete=models.PROTECT, related_name="plans")
    date = models.DateField(_("date"), validators=[validate_calendar_date])
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.DRAFT)
    solve_status = models.CharField(_("planner"), max_length=10, choices=SolveStatus.choices,
                                    default=SolveStatus.IDLE)
    progress = models.JSONField(_("planner progress"), default=dict, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    solved_at = models.DateTimeField(_("planned at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("day plan")
        verbose_name_plural = _("day plans")
        ordering = ["-date", "branch_id"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "date"], name="plan_one_per_branch_day"),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.date}"


class RouteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    STARTED = "started", _("Started")
    FINISHED = "finished", _("Finished")


# The routes a volunteer's app shows: published and after (a draft is the coordinator's).
SHOWN_ROUTE_STATUSES = (RouteStatus.PUBLISHED, RouteStatus.STARTED, RouteStatus.FINISHED)


class Route(TimeStampedModel):
    plan = models.ForeignKey(DayPlan, verbose_name=_("day plan"), on_delete=models.CASCADE,
                             related_name="routes")
    volunteer = models.ForeignKey("volunteers.Volunteer", verbose_name=_("volunteer"),
                                  on_delete=models.PROTECT, related_name="routes")
    status = models.CharField(_("status"), max_length=10, choices=RouteStatus.choices,
                              default=RouteStatus.DRAFT)
    departure = models.DateTimeField(_("leaves"), null=True, blank=True)
    end = models.DateTimeField(_("back"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance, m"), default=0)
    duration_s = models.PositiveIntegerField(_("duration, s"), default=0)
    travel_s = models.PositiveIntegerField(_("travel, s"), default=0)
    max_load = models.PositiveSmallIntegerField(_("most items carried"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change (ETag).")

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "volunteer"], name="route_one_per_volunteer"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.plan.date}"


class StopKind(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    PICKUP = "pickup", _("Collect returns")


class StopStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ARRIVED = "arrived", _("Volunteer at the door")
    COMPLETED = "completed", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class UnservedReason(models.TextChoices):
    NO_VOLUNTEER_IN_WINDOW = "no_vehicle_in_window", _("No volunteer free in its window")
    TOO_HEAVY = "too_heavy", _("Too heavy for any volunteer")
    NO_COORDINATES = "no_coordinates", _("The address has no coordinates")
    TOO_FAR = "unreachable", _("Too far")
    NO_LANGUAGE = "no_language", _("No volunteer speaks the reader's language")
    PINNED_VOLUNTEER_UNAVAILABLE = "pinned_vehicle_unavailable", _(
        "The pinned volunteer is not free that day")
    NOT_ROUTED = "not_routed", _("No room left in the routes")
    NO_VOLUNTEERS = "no_volunteers", _("No volunteer is free that day")


class Stop(TimeStampedModel):
    """One address in the day: a reader or a whole family card, with what to hand over and
    what to collect."""

    plan = models.ForeignKey(DayPlan, verbose_name=_("day plan"), on_delete=models.CASCADE,
                             related_name="stops")
    route = models.ForeignKey(Route, verbose_name=_("route"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="stops")
    sequence = models.PositiveSmallIntegerField(_("order in the route"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=StopKind.choices,
                            default=StopKind.DELIVERY)
    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.PROTECT, related_name="stops")
    family_card = models.ForeignKey("readers.FamilyCard", verbose_name=_("family card"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="stops")
    household = models.CharField(max_length=20, editable=False,
                                 help_text="F<id> for a family card, R<id> for a reader")
    orders = models.ManyToManyField("orders.Order", verbose_name=_("orders"), blank=True,
                                    related_name="stops")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    window_start = models.TimeField(_("window from"))
    window_end = models.TimeField(_("window to"))
    service_minutes = models.PositiveSmallIntegerField(
        _("minutes at the door"), default=10, validators=[MaxValueValidator(240)])
    load_out = models.PositiveSmallIntegerField(_("items to hand over"), default=0)
    load_back = models.PositiveSmallIntegerField(_("items to collect"), default=0)
    languages = models.JSONField(_("languages needed"), default=list, blank=True)
    pinned_volunteer = models.ForeignKey(
        "volunteers.Volunteer", verbose_name=_("pinned to"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="pinned_stops",
    )
    expected_arrival = models.DateTimeField(_("expected at"), null=True, blank=True)
    expected_departure = models.DateTimeField(_("expected to leave"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=StopStatus.choices,
                              default=StopStatus.PLANNED)
    unserved_reason = models.CharField(_("why not planned"), max_length=30,
                                       choices=UnservedReason.choices, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    completed_at = models.DateTimeField(_("done"), null=True, blank=True)
    fail_reason = models.CharField(_("why it failed"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ["route_id", "sequence", "id"]
        indexes = [models.Index(fields=["plan", "status"]),
                   models.Index(fields=["route", "sequence"])]
        constraints = [
            # A household is one stop in a day: one visit serves the family.
            models.UniqueConstraint(fields=["plan", "household"],
                                    condition=~Q(status=StopStatus.CANCELLED),
                                    name="stop_one_per_household"),
            models.CheckConstraint(condition=Q(window_start__lt=models.F("window_end")),
                                   name="stop_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.household} #{self.sequence}"


class RouteChange(models.Model):
    """What changed on a route after it was published: the volunteer app's change feed.
    The id is the cursor."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Route published")
        STOP_ADDED = "stop_added", _("Stop added")
        STOP_REMOVED = "stop_removed", _("Stop moved to another route")
        STOP_MOVED = "stop_moved", _("Stop moved in the route")
        STOP_CANCELLED = "stop_cancelled", _("Stop cancelled")
        STOP_UPDATED = "stop_updated", _("Stop changed")
        ROUTE_CANCELLED = "route_cancelled", _("Route cancelled")

    # Kept when a route is deleted (re-planned away): the volunteer must still hear of it.
    route = models.ForeignKey(Route, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="changes")
    stop = models.ForeignKey(Stop, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.CASCADE,
                                  related_name="route_changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["volunteer", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%H:%M}"


class ConcernKind(models.TextChoices):
    UNWELL = "unwell", _("Seems unwell")
    FALL_OR_INJURY = "fall_or_injury", _("Fall or injury")
    NO_HEATING_OR_FOOD = "no_heating_or_food", _("No heating or food")
    NEGLECT = "neglect", _("Signs of neglect")
    NO_ANSWER_AGAIN = "no_answer_again", _("Second visit with no answer")
    OTHER = "other", _("Other")


class Concern(models.Model):
    """A volunteer's worry about a reader, raised at the door of a stop. The branch hears
    at once (an urgent inbox item, an SMS to its duty phone); a librarian closes it with
    what was done. Sensitive: librarians only."""

    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.CASCADE, related_name="concerns")
    stop = models.ForeignKey(Stop, verbose_name=_("stop"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="concerns")
    kind = models.CharField(_("kind"), max_length=20, choices=ConcernKind.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    raised_by = models.ForeignKey("volunteers.Volunteer", verbose_name=_("raised by"),
                                  on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="concerns")
    created_at = models.DateTimeField(_("raised"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"),
                                  on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    closing_note = models.TextField(_("what was done"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reader", "created_at"], name="concern_reader_created")]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="other") | ~Q(note=""),
                                   name="concern_other_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})" if self.created_at \
            else self.get_kind_display()


class PlanRevision(TimeStampedModel):
    """A re-plan of a published day, kept beside it until the coordinator publishes it.

    The volunteers go on seeing the published routes (the Route and Stop rows are not
    touched); the draft is the planner's answer, stored as it came (`solution`: routes with
    their visits, stops left out with their reasons). Publishing writes it over the
    published routes in one go (routing.revisions); discarding deletes it."""

    plan = models.OneToOneField(DayPlan, verbose_name=_("day plan"), on_delete=models.CASCADE,
                                related_name="revision")
    solution = models.JSONField(default=dict)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    seconds = models.FloatField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("draft revision")
        verbose_name_plural = _("draft revisions")

    def __str__(self) -> str:
        return f"{self.plan} (draft)"
