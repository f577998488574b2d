"""Staff API for standing plans (графики обслуживания): the visit schedules that make
orders on their own. Librarians and operators (who arrange visits on the phone) change them;
coordinators read them; volunteers have no access."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.core.permissions import roles_allowed
from backend.core.roles import Role
from backend.core.schema import errors
from backend.orders.models import Order
from backend.plans import selectors, services
from backend.plans.models import StandingPlan, StandingPlanPause
from backend.plans.serializers import (
    StandingPlanFilterSerializer,
    StandingPlanInputSerializer,
    StandingPlanOccurrenceOutputSerializer,
    StandingPlanOccurrencesFilterSerializer,
    StandingPlanOutputSerializer,
    StandingPlanPauseInputSerializer,
    StandingPlanUpdateInputSerializer,
)
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record

PlanPermission = roles_allowed(
    read=(Role.LIBRARIAN, Role.OPERATOR, Role.COORDINATOR),
    write=(Role.LIBRARIAN, Role.OPERATOR),
)

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


def _plan_body(plan: StandingPlan) -> dict:
    plan = selectors.standing_plan_queryset().get(pk=plan.pk)
    return StandingPlanOutputSerializer(plan).data


def _plans_shown(request, plans, action: str) -> None:
    """A standing plan names its reader or family card: one access-log row per request."""
    card_access_record(request=request, readers=[p.reader_id for p in plans],
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
