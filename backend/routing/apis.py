"""Staff API for day plans: plan, pin, move, re-sequence, publish, re-plan."""
from celery.result import EagerResult
from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.branches.models import Branch
from backend.core import dates
from backend.core.exceptions import ApplicationError
from backend.core.permissions import roles_allowed
from backend.core.roles import STAFF_ROLES, Role, has_role
from backend.core.schema import errors
from backend.core.serializers import BoundedDateField, IdField
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record
from backend.routing import concerns, revisions, selectors, services
from backend.routing.models import DayPlan, PlanStatus, Route, Stop, UnservedReason
from backend.routing.plan_answers import plan_answers, plans_shown
from backend.routing.tasks import enqueue_planning
from backend.volunteers.models import Volunteer

Planning = roles_allowed(read=tuple(STAFF_ROLES), write=(Role.COORDINATOR,))


class StopOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    household = serializers.CharField()
    reader = serializers.SerializerMethodField()
    family_card = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    window_start = serializers.TimeField(format="%H:%M")
    window_end = serializers.TimeField(format="%H:%M")
    expected_arrival = serializers.DateTimeField(allow_null=True)
    service_minutes = serializers.IntegerField()
    load_out = serializers.IntegerField()
    load_back = serializers.IntegerField()
    languages = serializers.ListField(child=serializers.CharField())
    route = serializers.IntegerField(source="route_id", allow_null=True)
    pinned_volunteer = serializers.IntegerField(source="pinned_volunteer_id", allow_null=True)
    orders = serializers.SerializerMethodField()
    unserved_reason = serializers.CharField()
    unserved_reason_display = serializers.SerializerMethodField()

    def get_reader(self, obj) -> dict:
        return {"id": obj.reader_id, "full_name": obj.reader.full_name,
                "card_number": obj.reader.card_number}

    def get_family_card(self, obj) -> dict | None:
        if obj.family_card_id is None:
            return None
        return {"id": obj.family_card_id, "name": obj.family_card.name}

    def get_address(self, obj) -> str:
        return (obj.family_card or obj.reader).address_line

    def get_orders(self, obj) -> list[int]:
        return [o.pk for o in obj.orders.all()]

    def get_unserved_reason_display(self, obj) -> str:
        if not obj.unserved_reason:
            return ""
        return str(UnservedReason(obj.unserved_reason).label)


class RouteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    volunteer = serializers.SerializerMethodField()
    status = serializers.CharField()
    departure = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.IntegerField()
    duration_s = serializers.IntegerField()
    travel_s = serializers.IntegerField()
    max_load = serializers.IntegerField()
    stops = serializers.SerializerMethodField()

    def get_volunteer(self, obj) -> dict:
        v = obj.volunteer
        return {"id": v.pk, "name": str(v), "transport": v.transport,
                "capacity": v.capacity, "languages": v.languages}

    def get_stops(self, obj) -> list[dict]:
        stops = self.context.get("stops_by_route", {}).get(obj.pk)
        if stops is None:
            stops = selectors.stop_queryset().filter(route=obj).order_by("sequence")
        return StopOutputSerializer(stops, many=True).data


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    branch = serializers.IntegerField(source="branch_id")
    branch_name = serializers.CharField(source="branch.name")
    date = serializers.DateField()
    status = serializers.CharField()
    solve_status = serializers.CharField()
    progress = serializers.DictField()
    figures = serializers.DictField()
    solved_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    routes = serializers.SerializerMethodField()
    unserved = serializers.SerializerMethodField()

    def _stops(self, obj) -> list[Stop]:
        return list(obj.stops.all())

    def get_routes(self, obj) -> list[dict]:
        by_route: dict[int, list[Stop]] = {}
        for stop in self._stops(obj):
            if stop.route_id:
                by_route.setdefault(stop.route_id, []).append(stop)
        return RouteOutputSerializer(obj.routes.all(), many=True,
                                     context={"stops_by_route": by_route}).data

    def get_unserved(self, obj) -> list[dict]:
        return StopOutputSerializer([s for s in self._stops(obj) if s.route_id is None],
                                    many=True).data


def stops_shown(request, stops, channel: str = CardAccess.Channel.API) -> None:
    """Stops name their readers and addresses: one access-log row for the cards of a
    request's stops, however many."""
    stops = list(stops)
    card_access_record(request=request, readers=[s.reader_id for s in stops],
                       family_cards=[s.family_card_id for s in stops],
                       action=CardAccess.Action.ROUTE, channel=channel)


def plan_body(plan: DayPlan, request, channel: str = CardAccess.Channel.API) -> dict:
    """The plan as the API shows it; the cards its stops name go in the access log."""
    read = selectors.plan_read([plan.pk])
    plans_shown(request, read, channel)
    return plan_answers(read)[plan.pk]


class PlanFilterSerializer(serializers.Serializer):
    branch = IdField(required=False)
    date = BoundedDateField(bounds=dates.PERIOD, required=False)
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)


class PlanCreateSerializer(serializers.Serializer):
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all())
    date = BoundedDateField(bounds=dates.PLAN_DAY)


class PlanListApi(GenericAPIView):
    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanOutputSerializer

    @extend_schema(operation_id="plans_list", parameters=[PlanFilterSerializer],
                   responses={200: PlanOutputSerializer(many=True), **errors(400, 401, 403)})
    def get(self, request):
        filters = PlanFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.plan_list(filters=filters.validated_data))
        ids = [p.pk for p in page]
        read = selectors.plan_read(ids)
        plans_shown(request, read)
        answers = plan_answers(read)
        return self.get_paginated_response([answers[i] for i in ids if i in answers])

    @extend_schema(operation_id="plans_create", request=PlanCreateSerializer,
                   responses={201: PlanOutputSerializer, 200: PlanOutputSerializer,
                              **errors(400, 401, 403)})
    def post(self, request):
        serializer = PlanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = DayPlan.objects.filter(**serializer.validated_data).exists()
        plan = services.plan_get_or_create(**serializer.validated_data, by=request.user)
        return Response(plan_body(plan, request),
                        status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class PlanDetailApi(GenericAPIView):
    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanOutputSerializer

    @extend_schema(operation_id="plans_retrieve",
                   responses={200: PlanOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        read = selectors.plan_read([pk])
        if not read.plans:
            raise Http404
        plans_shown(request, read)
        return Response(plan_answers(read)[pk])


class PlanProgressOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    solve_status = serializers.CharField()
    progress = serializers.DictField()
    solved_at = serializers.DateTimeField(allow_null=True)


class PlanProgressApi(GenericAPIView):
    """The planner's state and progress alone, for a page waiting on the planner: no route,
    stop or reader is read, so it costs one statement and writes nothing in the access log."""

    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanProgressOutputSerializer

    @extend_schema(operation_id="plans_progress",
                   responses={200: PlanProgressOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        row = selectors.plan_progress(pk)
        if row is None:
            raise Http404
        return Response(PlanProgressOutputSerializer(row).data)


class SolveInputSerializer(serializers.Serializer):
    time_limit = serializers.FloatField(
        min_value=1, max_value=600, required=False,
        help_text=_("Seconds from this request to the routes written "
                    "(default ROUTING_TIME_LIMIT)."),
    )
    drop_volunteers = serializers.ListField(
        child=IdField(), required=False, default=list,
        help_text=_("Volunteers who dropped out: their unstarted stops go to others."),
    )


def _time_limit(data) -> float:
    return data.get("time_limit") or getattr(settings, "ROUTING_TIME_LIMIT", 10.0)


class PlanSolveApi(GenericAPIView):
    """Plan (or re-plan) the day. Runs in a worker; with eager tasks the answer is the plan."""

    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanOutputSerializer

    @extend_schema(operation_id="plans_solve", request=SolveInputSerializer,
                   responses={200: PlanOutputSerializer, 202: PlanOutputSerializer,
                              **errors(400, 401, 403, 404, 409, 503)})
    def post(self, request, pk: int):
        plan = get_object_or_404(DayPlan.objects.select_related("branch"), pk=pk)
        serializer = SolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = enqueue_planning(plan, time_limit=_time_limit(data), by=request.user,
                                  drop_volunteers=data.get("drop_volunteers"))
        body = plan_body(plan, request)
        # Only a task run in-process (eager) has its answer already. Asking a queued task
        # whether it is ready needs a result backend, which production does not configure.
        if isinstance(result, EagerResult):
            body["changes"] = (result.result or {}).get("changes")
            return Response(body)
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PlanPublishApi(GenericAPIView):
    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanOutputSerializer

    @extend_schema(operation_id="plans_publish", request=None,
                   responses={200: PlanOutputSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, pk: int):
        plan = get_object_or_404(DayPlan, pk=pk)
        services.plan_publish(plan=plan, by=request.user)
        return Response(plan_body(plan, request))


# A draft revision of a published day ------------------------------------------------------------


class RevisionOutputSerializer(serializers.Serializer):
    """What publishing the draft would change (selectors.revision_diff); `exists` false
    when the day has no draft."""

    exists = serializers.BooleanField()
    created_at = serializers.DateTimeField(required=False)
    figures = serializers.DictField(required=False)
    moved = serializers.ListField(child=serializers.DictField(), required=False)
    unserved = serializers.ListField(child=serializers.DictField(), required=False)
    added = serializers.ListField(child=serializers.DictField(), required=False)
    reordered = serializers.ListField(child=serializers.DictField(), required=False)
    longer = serializers.ListField(child=serializers.DictField(), required=False)
    volunteers_changed = serializers.ListField(child=serializers.IntegerField(), required=False)
    has_changes = serializers.BooleanField(required=False)
    summary = serializers.ListField(child=serializers.CharField(), required=False)


def revision_body(plan: DayPlan, request) -> dict:
    diff = selectors.revision_diff(plan=plan)
    if diff is None:
        return {"exists": False}
    rows = [*diff["moved"], *diff["unserved"], *diff["added"]]
    if rows:
        stops_shown(request, Stop.objects.filter(pk__in=[r["stop"] for r in rows]))
    return {"exists": True, **diff, "summary": revision_words(diff)}


def revision_words(diff: dict) -> list[str]:
    """The diff in sentences for the plan page."""
    from django.utils.translation import gettext, ngettext

    words = []
    for row in diff["moved"]:
        words.append(gettext("%(reader)s moves from %(from)s to %(to)s.") % {
            "reader": row["reader"], "from": row["from_name"], "to": row["to_name"]})
    for row in diff["unserved"]:
        words.append(gettext("%(reader)s will not be visited (was with %(from)s): "
                             "%(reason)s.") % {"reader": row["reader"],
                                               "from": row["from_name"],
                                               "reason": row["reason"] or "—"})
    for row in diff["added"]:
        words.append(gettext("%(reader)s is added to %(to)s's route.") % {
            "reader": row["reader"], "to": row["to_name"]})
    for row in diff["reordered"]:
        words.append(gettext("%(name)s's stops go in another order.") % {"name": row["name"]})
    for row in diff["longer"]:
        minutes = row["minutes_after"] - row["minutes_before"]
        words.append(ngettext("%(name)s's day gets %(minutes)d minute longer.",
                              "%(name)s's day gets %(minutes)d minutes longer.", minutes)
                     % {"name": row["name"], "minutes": minutes})
    if not words:
        words.append(gettext("The draft changes no volunteer's route."))
    return words


class PlanRevisionApi(GenericAPIView):
    """The draft revision of a published day, as a diff against what the volunteers see."""

    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = RevisionOutputSerializer

    @extend_schema(operation_id="plans_revision",
                   responses={200: RevisionOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        plan = get_object_or_404(DayPlan, pk=pk)
        return Response(revision_body(plan, request))


class PlanRevisionPublishApi(GenericAPIView):
    """The draft replaces the published routes; volunteers whose routes change hear of it."""

    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanOutputSerializer

    @extend_schema(operation_id="plans_revision_publish", request=None,
                   responses={200: PlanOutputSerializer, **errors(401, 403, 404, 409)},
                   description="409 revision.none without a draft; revision.stale when the "
                               "day changed under it.")
    def post(self, request, pk: int):
        plan = get_object_or_404(DayPlan, pk=pk)
        revisions.revision_publish(plan=plan, by=request.user)
        return Response(plan_body(plan, request))


class PlanRevisionDiscardApi(GenericAPIView):
    """Throw the draft away; nothing changes for the volunteers."""

    permission_classes = [Planning]
    queryset = DayPlan.objects.none()
    serializer_class = PlanOutputSerializer

    @extend_schema(operation_id="plans_revision_discard", request=None,
                   responses={200: PlanOutputSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, pk: int):
        plan = get_object_or_404(DayPlan, pk=pk)
        revisions.revision_discard(plan=plan, by=request.user)
        return Response(plan_body(plan, request))


class PinInputSerializer(serializers.Serializer):
    volunteer = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.all(),
                                                   allow_null=True)


class StopPinApi(GenericAPIView):
    permission_classes = [Planning]
    queryset = Stop.objects.none()
    serializer_class = StopOutputSerializer

    @extend_schema(operation_id="stops_pin", request=PinInputSerializer,
                   responses={200: StopOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        stop = get_object_or_404(Stop.objects.select_related("plan"), pk=pk)
        serializer = PinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.stop_pin(stop=stop, volunteer=serializer.validated_data["volunteer"],
                          by=request.user)
        stop = selectors.stop_queryset().get(pk=pk)
        stops_shown(request, [stop])
        return Response(StopOutputSerializer(stop).data)


class MoveInputSerializer(serializers.Serializer):
    route = serializers.PrimaryKeyRelatedField(queryset=Route.objects.all())
    position = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class StopMoveOutputSerializer(serializers.Serializer):
    stop = StopOutputSerializer()
    warnings = serializers.ListField(child=serializers.CharField())


class StopMoveApi(GenericAPIView):
    """Move a stop to a route and position by hand; what it breaks comes back as warnings."""

    permission_classes = [Planning]
    queryset = Stop.objects.none()
    serializer_class = StopMoveOutputSerializer

    @extend_schema(operation_id="stops_move", request=MoveInputSerializer,
                   responses={200: StopMoveOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        stop = get_object_or_404(Stop.objects.select_related("plan"), pk=pk)
        serializer = MoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if revisions.revision_exists(plan_id=stop.plan_id):
            # A published day with a draft: the move is made in the draft only.
            if data["route"].plan_id != stop.plan_id:
                raise ApplicationError("stop.other_plan", _("The route belongs to another day."),
                                       fields={"route": [_("Another day plan.")]})
            result = revisions.revision_stop_move(
                plan=stop.plan, stop=stop, volunteer_id=data["route"].volunteer_id,
                position=data.get("position"), by=request.user)
        else:
            result = services.stop_move(stop=stop, by=request.user, **data)
        stop = selectors.stop_queryset().get(pk=pk)
        stops_shown(request, [stop])
        return Response({
            "stop": StopOutputSerializer(stop).data,
            "warnings": result["warnings"],
        })


class ResequenceInputSerializer(serializers.Serializer):
    stops = serializers.ListField(child=IdField(), allow_empty=False)


class RouteResequenceOutputSerializer(serializers.Serializer):
    route = RouteOutputSerializer()
    warnings = serializers.ListField(child=serializers.CharField())


class RouteResequenceApi(GenericAPIView):
    permission_classes = [Planning]
    queryset = Route.objects.none()
    serializer_class = RouteResequenceOutputSerializer

    @extend_schema(operation_id="routes_resequence", request=ResequenceInputSerializer,
                   responses={200: RouteResequenceOutputSerializer,
                              **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        route = get_object_or_404(Route, pk=pk)
        serializer = ResequenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if revisions.revision_exists(plan_id=route.plan_id):
            # A published day with a draft: the new order is the draft's.
            result = revisions.revision_resequence(
                plan=route.plan, volunteer_id=route.volunteer_id,
                stop_ids=serializer.validated_data["stops"], by=request.user)
        else:
            result = services.route_resequence(route=route, by=request.user,
                                               stop_ids=serializer.validated_data["stops"])
        route = Route.objects.select_related("volunteer__user").get(pk=pk)
        stops_shown(request, route.stops.all())
        return Response({"route": RouteOutputSerializer(route).data,
                         "warnings": result["warnings"]})


class RouteDetailApi(GenericAPIView):
    permission_classes = [Planning]
    queryset = Route.objects.none()
    serializer_class = RouteOutputSerializer

    @extend_schema(operation_id="routes_retrieve",
                   responses={200: RouteOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        route = get_object_or_404(Route.objects.select_related("volunteer__user"), pk=pk)
        stops_shown(request, route.stops.all())
        return Response(RouteOutputSerializer(route).data)


# Concerns about a reader: sensitive, librarians only ----------------------------------------------

Concerns = roles_allowed(read=(Role.LIBRARIAN,), write=(Role.LIBRARIAN,))


class ConcernOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reader = serializers.IntegerField(source="reader_id")
    stop = serializers.IntegerField(source="stop_id", allow_null=True)
    date = serializers.SerializerMethodField(help_text=_("The day of the visit"))
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    note = serializers.CharField()
    raised_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.SerializerMethodField()
    closing_note = serializers.CharField()

    def get_date(self, obj) -> str | None:
        return obj.stop.plan.date.isoformat() if obj.stop_id else None

    def get_raised_by(self, obj) -> str | None:
        if not obj.raised_by_id:
            return None
        user = obj.raised_by.user
        return user.get_full_name() or user.get_username()

    def get_closed_by(self, obj) -> str | None:
        return str(obj.closed_by) if obj.closed_by_id else None


class ReaderConcernListApi(GenericAPIView):
    """What volunteers were worried about at this reader's door, open ones first. Reading it
    is written in the card access log."""

    permission_classes = [Concerns]
    queryset = Stop.objects.none()
    serializer_class = ConcernOutputSerializer

    @extend_schema(operation_id="readers_concerns",
                   responses={200: ConcernOutputSerializer(many=True),
                              **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        from backend.readers.models import Reader

        reader = get_object_or_404(Reader.objects.only("id"), pk=pk)
        card_access_record(request=request, readers=[reader.pk],
                           action=CardAccess.Action.VIEW, channel=CardAccess.Channel.API)
        page = self.paginate_queryset(selectors.reader_concerns(reader_id=reader.pk))
        return self.get_paginated_response(ConcernOutputSerializer(page, many=True).data)


class ConcernCloseApi(GenericAPIView):
    """Close a concern with what was done (a call made, a visit, a doctor)."""

    permission_classes = [Concerns]
    queryset = Stop.objects.none()
    serializer_class = ConcernOutputSerializer

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=2000, help_text=_("What was done."))

    @extend_schema(operation_id="concerns_close", request=InputSerializer,
                   responses={200: ConcernOutputSerializer, **errors(400, 401, 403, 404, 409)},
                   description="409 concern.closed when it is already closed.")
    def post(self, request, pk: int):
        from backend.routing.models import Concern

        concern = get_object_or_404(Concern, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        concern = concerns.concern_close(concern=concern, note=data.validated_data["note"],
                                         by=request.user)
        concern = selectors.reader_concerns(reader_id=concern.reader_id).get(pk=concern.pk)
        return Response(ConcernOutputSerializer(concern).data)


# The day as it happens --------------------------------------------------------------------------

Watching = roles_allowed(read=(Role.COORDINATOR, Role.LIBRARIAN))


def _plan_of(pk: int) -> DayPlan:
    """The plan (404 when there is none). Staff work across libraries, as with every plan
    endpoint; the live view names no reader and gives a concern's kind to librarians only."""
    return get_object_or_404(DayPlan.objects.select_related("branch"), pk=pk)


class LiveFilterSerializer(serializers.Serializer):
    since = serializers.IntegerField(
        min_value=0, required=False,
        help_text=_("The cursor of the last answer: only stops changed since then come back."))


class PlanLiveApi(GenericAPIView):
    """The day as it happens, for the plan page to poll: each stop's state (changed since
    the cursor), each volunteer's progress and last action, the late stops."""

    permission_classes = [Watching]
    queryset = DayPlan.objects.none()
    serializer_class = LiveFilterSerializer

    @extend_schema(operation_id="plans_live", parameters=[LiveFilterSerializer],
                   responses={200: dict, **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        plan = _plan_of(pk)
        filters = LiveFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return Response(selectors.plan_live(
            plan=plan, since=filters.validated_data.get("since"),
            concern_kinds=has_role(request.user, Role.LIBRARIAN)))


class PlanAgainInputSerializer(serializers.Serializer):
    date = BoundedDateField(bounds=dates.PLAN_DAY,
                            help_text=_("The day the orders are to be planned for."))


class StopPlanAgainApi(GenericAPIView):
    """A stop that was not done: its orders wait, ready, for another day."""

    permission_classes = [roles_allowed(read=(Role.COORDINATOR,), write=(Role.COORDINATOR,))]
    queryset = Stop.objects.none()
    serializer_class = PlanAgainInputSerializer

    @extend_schema(operation_id="stops_plan_again", request=PlanAgainInputSerializer,
                   responses={200: dict, **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        stop = get_object_or_404(Stop.objects.select_related("plan"), pk=pk)
        serializer = PlanAgainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        orders = services.stop_plan_again(stop=stop, date=serializer.validated_data["date"],
                                          by=request.user)
        return Response({"stop": stop.pk, "orders": [o.pk for o in orders],
                         "date": serializer.validated_data["date"].isoformat()})
