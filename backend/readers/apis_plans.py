"""Staff API for standing plans (графики обслуживания): the visit schedules that make
orders on their own. Librarians and operators (who arrange visits on the phone) change them;
coordinators read them; volunteers have no access."""
import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.core import dates
from backend.core.permissions import roles_allowed
from backend.core.roles import Role
from backend.core.schema import errors
from backend.core.serializers import BoundedDateField, IdField
from backend.readers import selectors, services
from backend.readers.models import CardAccess, FamilyCard, Reader, StandingPlan, StandingPlanPause

PlanPermission = roles_allowed(
    read=(Role.LIBRARIAN, Role.OPERATOR, Role.COORDINATOR),
    write=(Role.LIBRARIAN, Role.OPERATOR),
)
MAX_OCCURRENCE_DAYS = 731

PLAN_EXAMPLE = OpenApiExample(
    "Every second Tuesday",
    request_only=True,
    value={
        "reader": 12,
        "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        "starts_on": "2026-12-01",
        "window_start": "10:00",
        "window_end": "12:00",
        "items_per_visit": 3,
        "note": "Звонить дочери за день",
    },
)


class StandingPlanPauseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField()


class StandingPlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reader = serializers.SerializerMethodField()
    family_card = serializers.SerializerMethodField()
    rrule = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    window_start = serializers.TimeField(format="%H:%M")
    window_end = serializers.TimeField(format="%H:%M")
    items_per_visit = serializers.IntegerField()
    active = serializers.BooleanField()
    note = serializers.CharField()
    pauses = StandingPlanPauseOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_reader(self, obj) -> dict | None:
        if obj.reader_id is None:
            return None
        r = obj.reader
        return {"id": r.id, "card_number": r.card_number, "name": r.full_name,
                "status": r.status}

    def get_family_card(self, obj) -> dict | None:
        if obj.family_card_id is None:
            return None
        f = obj.family_card
        return {"id": f.id, "number": f.number, "name": f.name, "status": f.status,
                "head": f.head_id}


class StandingPlanInputSerializer(serializers.Serializer):
    reader = serializers.PrimaryKeyRelatedField(
        queryset=Reader.objects.all(), required=False, allow_null=True,
        help_text=_("The reader card; give this or family_card."),
    )
    family_card = serializers.PrimaryKeyRelatedField(
        queryset=FamilyCard.objects.all(), required=False, allow_null=True,
        help_text=_("The family card (one visit for the household); give this or reader."),
    )
    rrule = serializers.CharField(
        max_length=300,
        help_text=_("An RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TU. "
                    "DAILY, WEEKLY, MONTHLY or YEARLY."),
    )
    starts_on = BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                 help_text=_("Today when not given."))
    ends_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    window_start = serializers.TimeField()
    window_end = serializers.TimeField()
    items_per_visit = serializers.IntegerField(min_value=1, max_value=20, required=False)
    active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class StandingPlanUpdateInputSerializer(serializers.Serializer):
    """Only the fields given change. A plan stays with its card."""

    rrule = serializers.CharField(max_length=300, required=False)
    starts_on = BoundedDateField(bounds=dates.SCHEDULE, required=False)
    ends_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    window_start = serializers.TimeField(required=False)
    window_end = serializers.TimeField(required=False)
    items_per_visit = serializers.IntegerField(min_value=1, max_value=20, required=False)
    active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class StandingPlanPauseInputSerializer(serializers.Serializer):
    starts_on = BoundedDateField(bounds=dates.SCHEDULE)
    ends_on = BoundedDateField(bounds=dates.SCHEDULE)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StandingPlanFilterSerializer(serializers.Serializer):
    reader = IdField(required=False)
    family_card = IdField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class StandingPlanOccurrencesFilterSerializer(serializers.Serializer):
    """?from=&to= (both days included). From today, for 90 days, when not given."""

    def get_fields(self):
        return {
            "from": BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                     help_text=_("First day; today.")),
            "to": BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                        help_text=_("Last day; 90 days after `from`.")),
        }

    def validate(self, attrs):
        start = attrs.get("from") or timezone.localdate()
        end = attrs.get("to") or start + datetime.timedelta(days=90)
        if end < start:
            raise serializers.ValidationError(
                {"to": [_("Must be on or after `from`.")]}, code="invalid"
            )
        if (end - start).days > MAX_OCCURRENCE_DAYS:
            raise serializers.ValidationError(
                {"to": [_("At most %(days)s days at a time.") % {"days": MAX_OCCURRENCE_DAYS}]},
                code="invalid",
            )
        return {"from": start, "to": end}


class StandingPlanOccurrenceOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField(help_text="0 = Monday ... 6 = Sunday")
    skipped = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=[("pause", "pause"), ("holiday", "holiday")], allow_null=True,
        help_text=_("Why no visit that day: a pause of the plan or a public holiday."),
    )
    note = serializers.CharField(help_text=_("The pause's reason or the holiday's name."))
    pause = serializers.IntegerField(allow_null=True)
    order = serializers.IntegerField(allow_null=True,
                                     help_text=_("The order already made for that day."))


def _plan_body(plan: StandingPlan) -> dict:
    plan = selectors.standing_plan_queryset().get(pk=plan.pk)
    return StandingPlanOutputSerializer(plan).data


def _plans_shown(request, plans, action: str) -> None:
    """A standing plan names its reader or family card: one access-log row per request."""
    services.card_access_record(request=request, readers=[p.reader_id for p in plans],
                                family_cards=[p.family_card_id for p in plans],
                                action=action, channel=CardAccess.Channel.API)


class StandingPlanListApi(GenericAPIView):
    permission_classes = [PlanPermission]
    queryset = StandingPlan.objects.none()  # for the schema; selectors do the reads
    serializer_class = StandingPlanOutputSerializer

    @extend_schema(
        operation_id="standing_plans_list",
        parameters=[StandingPlanFilterSerializer],
        responses={200: StandingPlanOutputSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request):
        filters = StandingPlanFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.standing_plan_list(filters=filters.validated_data))
        _plans_shown(request, page, CardAccess.Action.LIST)
        return self.get_paginated_response(StandingPlanOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="standing_plans_create",
        request=StandingPlanInputSerializer,
        responses={201: StandingPlanOutputSerializer, **errors(400, 401, 403, 409)},
        examples=[PLAN_EXAMPLE],
    )
    def post(self, request):
        serializer = StandingPlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.standing_plan_create(data=serializer.validated_data, by=request.user)
        return Response(_plan_body(plan), status=status.HTTP_201_CREATED)


class StandingPlanDetailApi(GenericAPIView):
    permission_classes = [PlanPermission]
    queryset = StandingPlan.objects.none()  # for the schema; selectors do the reads
    serializer_class = StandingPlanOutputSerializer

    @extend_schema(operation_id="standing_plans_retrieve",
                   responses={200: StandingPlanOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        plan = get_object_or_404(selectors.standing_plan_queryset(), pk=pk)
        _plans_shown(request, [plan], CardAccess.Action.VIEW)
        return Response(StandingPlanOutputSerializer(plan).data)

    @extend_schema(operation_id="standing_plans_partial_update",
                   request=StandingPlanUpdateInputSerializer,
                   responses={200: StandingPlanOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def patch(self, request, pk: int):
        plan = get_object_or_404(StandingPlan, pk=pk)
        serializer = StandingPlanUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        plan = services.standing_plan_update(plan=plan, data=serializer.validated_data,
                                             by=request.user)
        return Response(_plan_body(plan))


class StandingPlanPauseAddApi(GenericAPIView):
    permission_classes = [PlanPermission]
    queryset = StandingPlan.objects.none()  # for the schema
    serializer_class = StandingPlanOutputSerializer

    @extend_schema(operation_id="standing_plans_pauses_create",
                   request=StandingPlanPauseInputSerializer,
                   responses={201: StandingPlanOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        plan = get_object_or_404(StandingPlan, pk=pk)
        serializer = StandingPlanPauseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.standing_plan_pause_add(plan=plan, by=request.user, **serializer.validated_data)
        return Response(_plan_body(plan), status=status.HTTP_201_CREATED)


class StandingPlanPauseDeleteApi(GenericAPIView):
    permission_classes = [PlanPermission]
    queryset = StandingPlanPause.objects.none()  # for the schema

    @extend_schema(operation_id="standing_plans_pauses_destroy",
                   responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, pk: int, pause_id: int):
        # The plan first: a filter on plan_id would send the database any number.
        plan = get_object_or_404(StandingPlan, pk=pk)
        pause = get_object_or_404(plan.pauses, pk=pause_id)
        services.standing_plan_pause_remove(pause=pause, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StandingPlanOccurrencesApi(GenericAPIView):
    """The plan's dates in a range, each marked: a visit, or skipped (pause, holiday)."""

    permission_classes = [PlanPermission]
    queryset = StandingPlan.objects.none()  # for the schema
    serializer_class = StandingPlanOccurrenceOutputSerializer
    pagination_class = None

    @extend_schema(
        operation_id="standing_plans_occurrences",
        parameters=[StandingPlanOccurrencesFilterSerializer],
        responses={200: StandingPlanOccurrenceOutputSerializer(many=True),
                   **errors(400, 401, 403, 404)},
    )
    def get(self, request, pk: int):
        from backend.orders.models import Order

        plan = get_object_or_404(selectors.standing_plan_queryset(), pk=pk)
        window = StandingPlanOccurrencesFilterSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        start, end = window.validated_data["from"], window.validated_data["to"]
        entries = selectors.standing_plan_calendar(plan, start, end)
        orders = dict(
            Order.objects.filter(standing_plan=plan, preferred_date__range=(start, end))
            .values_list("preferred_date", "id")
        )
        rows = [
            {**entry, "weekday": entry["date"].weekday(), "note": entry["note"] or "",
             "order": orders.get(entry["date"])}
            for entry in entries
        ]
        return Response(StandingPlanOccurrenceOutputSerializer(rows, many=True).data)
