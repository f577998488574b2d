"""Staff API for orders, pick lists and the phone desk."""
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.branches.models import Branch
from backend.core import dates
from backend.core.permissions import roles_allowed
from backend.core.roles import STAFF_ROLES, Role, sees_reading
from backend.core.schema import errors
from backend.core.serializers import BoundedDateField, IdField
from backend.orders import calls, selectors, services
from backend.orders.models import CallLog, Channel, Order, OrderLine, OrderStatus
from backend.orders.serializers import (
    AssignInputSerializer,
    CallInputSerializer,
    CallOutputSerializer,
    DeliverInputSerializer,
    DeskLookupOutputSerializer,
    FailInputSerializer,
    OrderEventOutputSerializer,
    OrderInputSerializer,
    OrderLineOutputSerializer,
    OrderOutputSerializer,
    OrderUpdateSerializer,
    PickLineOutputSerializer,
    PlanningOrderOutputSerializer,
    SuggestionOutputSerializer,
)
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record

ALL_STAFF = tuple(STAFF_ROLES)
TakeOrders = roles_allowed(read=ALL_STAFF, write=(Role.OPERATOR, Role.LIBRARIAN))
# Picking books (pick lists, suggested copies and why: "format:large_print") is the
# librarians' work; what it shows is what a reader reads, which coordinators do not see.
Picking = roles_allowed(read=(Role.LIBRARIAN,), write=(Role.LIBRARIAN,))
Delivery = roles_allowed(read=ALL_STAFF, write=(Role.LIBRARIAN, Role.COORDINATOR))

ORDER_EXAMPLE = OpenApiExample(
    "Order by phone",
    request_only=True,
    value={
        "reader": 12,
        "channel": "phone",
        "preferred_date": "2026-12-02",
        "window_start": "10:00",
        "window_end": "13:00",
        "lines": [
            {"title": 311},
            {"wish": {"text": "Абай", "language": "kk", "format": "large_print"}},
        ],
        "call": {"phone": "8 701 123 45 67", "duration_seconds": 95},
    },
)


def order_serializer(request) -> type[OrderOutputSerializer]:
    """Whole orders for those who choose books; counts of items for coordinators."""
    if request is None or sees_reading(request.user):
        return OrderOutputSerializer
    return PlanningOrderOutputSerializer


def _order_body(order: Order, request=None) -> dict:
    order = selectors.order_queryset().get(pk=order.pk)
    return order_serializer(request)(order, context={"request": request}).data


def record_order_readers(request, orders, action=CardAccess.Action.READING) -> None:
    """Orders name their readers (and what they ordered): one access-log row per request."""
    card_access_record(request=request,
                       readers=[o.reader_id for o in orders] + [
                           line.reader_id for o in orders for line in o.lines.all()],
                       family_cards=[o.family_card_id for o in orders],
                       action=action, channel=CardAccess.Channel.API)


ORDER_ANSWER = PolymorphicProxySerializer(
    component_name="OrderAnswer",
    serializers=[OrderOutputSerializer, PlanningOrderOutputSerializer],
    resource_type_field_name=None,
)
ORDER_LIST_ANSWER = PolymorphicProxySerializer(
    component_name="OrderAnswer",
    serializers=[OrderOutputSerializer, PlanningOrderOutputSerializer],
    resource_type_field_name=None,
    many=True,
)
ORDER_ROLES = ("Librarians and operators get whole orders (OrderOutput). Coordinators get "
               "PlanningOrderOutput: no lines (no titles, formats or wishes), only `items`, "
               "the number of lines in each status.")


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    branch = IdField(required=False)
    reader = IdField(required=False)
    family_card = IdField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    date = BoundedDateField(bounds=dates.PERIOD, required=False,
                            help_text="Preferred or scheduled on this date")
    open = serializers.BooleanField(required=False, default=False)


class OrderListApi(GenericAPIView):
    permission_classes = [TakeOrders]
    queryset = Order.objects.none()
    serializer_class = OrderOutputSerializer

    @extend_schema(operation_id="orders_list", parameters=[OrderFilterSerializer],
                   description=ORDER_ROLES,
                   responses={200: ORDER_LIST_ANSWER, **errors(400, 401, 403)})
    def get(self, request):
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.order_list(filters=filters.validated_data))
        record_order_readers(request, page)
        return self.get_paginated_response(order_serializer(request)(page, many=True).data)

    @extend_schema(operation_id="orders_create", request=OrderInputSerializer,
                   responses={201: OrderOutputSerializer, **errors(400, 401, 403, 409)},
                   examples=[ORDER_EXAMPLE])
    def post(self, request):
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        order = services.order_create(
            reader=data["reader"], lines=data["lines"], channel=data["channel"],
            preferred_date=data.get("preferred_date"), window_start=data.get("window_start"),
            window_end=data.get("window_end"), note=data.get("note", ""), by=request.user,
            call=data.get("call"),
        )
        # The order as written, its lines too (order_create keeps them): not read back.
        body = order_serializer(request)(order, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class OrderDetailApi(GenericAPIView):
    permission_classes = [TakeOrders]
    queryset = Order.objects.none()
    serializer_class = OrderOutputSerializer

    @extend_schema(operation_id="orders_retrieve", description=ORDER_ROLES,
                   responses={200: ORDER_ANSWER, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        order = get_object_or_404(selectors.order_queryset(), pk=pk)
        record_order_readers(request, [order])
        return Response(order_serializer(request)(order).data)

    @extend_schema(operation_id="orders_partial_update", request=OrderUpdateSerializer,
                   responses={200: OrderOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def patch(self, request, pk: int):
        order = get_object_or_404(Order, pk=pk)
        serializer = OrderUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.order_update(order=order, data=serializer.validated_data, by=request.user)
        return Response(_order_body(order, request))


class OrderEventsApi(GenericAPIView):
    permission_classes = [TakeOrders]
    queryset = Order.objects.none()
    serializer_class = OrderEventOutputSerializer
    pagination_class = None  # the whole history, a plain list

    @extend_schema(operation_id="orders_events",
                   responses={200: OrderEventOutputSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request, pk: int):
        order = get_object_or_404(Order, pk=pk)
        events = order.events.select_related("by")
        return Response(OrderEventOutputSerializer(events, many=True).data)


class _OrderActionApi(GenericAPIView):
    """A POST that moves an order through one service function."""

    queryset = Order.objects.none()
    serializer_class = OrderOutputSerializer
    input_serializer: type[serializers.Serializer] | None = None

    def perform(self, order: Order, data: dict, user):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, pk: int):
        order = get_object_or_404(Order, pk=pk)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = self.perform(order, data, request.user)
        extra = result if isinstance(result, dict) else {}
        return Response({**_order_body(order, request), **extra})


def _action(name: str, permission, perform, input_serializer=None, codes=(401, 403, 404, 409)):
    def post(self, request, pk: int):
        return _OrderActionApi.post(self, request, pk)

    slug = name.removeprefix("Order").removesuffix("Api").lower()
    post = extend_schema(
        operation_id=f"orders_{slug}", request=input_serializer, description=ORDER_ROLES,
        responses={200: ORDER_ANSWER, **errors(*codes)},
    )(post)
    return type(name, (_OrderActionApi,), {
        "permission_classes": [permission],
        "input_serializer": input_serializer,
        "perform": lambda self, order, data, user: perform(order, data, user),
        "post": post,
    })


OrderStartPickingApi = _action(
    "OrderStartPickingApi", Picking,
    lambda o, d, u: services.order_start_picking(order=o, by=u),
)
OrderReadyApi = _action(
    "OrderReadyApi", Picking, lambda o, d, u: services.order_mark_ready(order=o, by=u),
)
OrderCancelApi = _action(
    "OrderCancelApi", TakeOrders,
    lambda o, d, u: services.order_cancel(order=o, by=u, note=d.get("note", "")),
)
OrderFailApi = _action(
    "OrderFailApi", Delivery,
    lambda o, d, u: services.order_fail(order=o, reason=d["reason"], note=d["note"], by=u),
    FailInputSerializer, (400, 401, 403, 404, 409),
)
OrderRequeueApi = _action(
    "OrderRequeueApi", Delivery, lambda o, d, u: services.order_requeue(order=o, by=u),
)


def _deliver(order, data, user):
    result = services.order_deliver(order=order, delivered=data["delivered"],
                                    collected=data.get("collected", []), by=user)
    return {
        "loans": [{"id": loan.id, "barcode": loan.item.barcode, "due_date": loan.due_date}
                  for loan in result["loans"]],
        "returns": [{"id": loan.id, "barcode": loan.item.barcode} for loan in result["returns"]],
    }


OrderDeliverApi = _action(
    "OrderDeliverApi", Delivery, _deliver, DeliverInputSerializer, (400, 401, 403, 404, 409),
)


class _LineActionApi(GenericAPIView):
    permission_classes = [Picking]
    queryset = OrderLine.objects.none()
    serializer_class = OrderLineOutputSerializer

    def line(self, pk: int) -> OrderLine:
        return get_object_or_404(OrderLine.objects.select_related("order", "reader"), pk=pk)

    def answer(self, line: OrderLine) -> Response:
        line = OrderLine.objects.select_related("title", "item").get(pk=line.pk)
        return Response(OrderLineOutputSerializer(line).data)


class LineAssignApi(_LineActionApi):
    @extend_schema(operation_id="order_lines_assign", request=AssignInputSerializer,
                   responses={200: OrderLineOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        serializer = AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.line_assign(line=self.line(pk), by=request.user,
                                    **serializer.validated_data)
        return self.answer(line)


class LineUnassignApi(_LineActionApi):
    @extend_schema(operation_id="order_lines_unassign", request=None,
                   responses={200: OrderLineOutputSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, pk: int):
        return self.answer(services.line_unassign(line=self.line(pk), by=request.user))


class LineCancelApi(_LineActionApi):
    permission_classes = [TakeOrders]

    @extend_schema(operation_id="order_lines_cancel", request=None,
                   responses={200: OrderLineOutputSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, pk: int):
        return self.answer(services.line_cancel(line=self.line(pk), by=request.user))


class SuggestionFilterSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class LineSuggestionsApi(_LineActionApi):
    serializer_class = SuggestionOutputSerializer
    pagination_class = None  # the best `limit` copies, a plain list

    @extend_schema(operation_id="order_lines_suggestions",
                   parameters=[SuggestionFilterSerializer],
                   responses={200: SuggestionOutputSerializer(many=True),
                              **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        from backend.orders.suggestions import suggest_for_line

        filters = SuggestionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        line = self.line(pk)
        limit = filters.validated_data["limit"]
        return Response(SuggestionOutputSerializer(suggest_for_line(line, limit=limit),
                                                   many=True).data)


class PickListFilterSerializer(serializers.Serializer):
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all())
    date = BoundedDateField(bounds=dates.PLAN_DAY, required=False)


class PickListApi(GenericAPIView):
    """Lines waiting for a copy, with suggested copies for wishes and standing plans."""

    permission_classes = [Picking]
    queryset = OrderLine.objects.none()
    serializer_class = PickLineOutputSerializer

    @extend_schema(operation_id="pick_lists", parameters=[PickListFilterSerializer],
                   responses={200: PickLineOutputSerializer(many=True), **errors(400, 401, 403)})
    def get(self, request):
        filters = PickListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        lines = selectors.pick_list(branch=filters.validated_data["branch"],
                                    date=filters.validated_data.get("date"))
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(PickLineOutputSerializer(page, many=True).data)


# The phone desk --------------------------------------------------------------------------------

Desk = roles_allowed(read=(Role.OPERATOR, Role.LIBRARIAN),
                     write=(Role.OPERATOR, Role.LIBRARIAN))


class CallFilterSerializer(serializers.Serializer):
    reader = IdField(required=False)


class CallListApi(GenericAPIView):
    permission_classes = [Desk]
    queryset = CallLog.objects.none()
    serializer_class = CallOutputSerializer

    @extend_schema(operation_id="desk_calls_list", parameters=[CallFilterSerializer],
                   responses={200: CallOutputSerializer(many=True), **errors(400, 401, 403)})
    def get(self, request):
        filters = CallFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = CallLog.objects.select_related("operator").order_by("-started_at", "-id")
        if filters.validated_data.get("reader"):
            qs = qs.filter(reader_id=filters.validated_data["reader"])
        page = self.paginate_queryset(qs)
        card_access_record(request=request, readers=[call.reader_id for call in page],
                           action=CardAccess.Action.LIST, channel=CardAccess.Channel.API)
        return self.get_paginated_response(CallOutputSerializer(page, many=True).data)

    @extend_schema(operation_id="desk_calls_create", request=CallInputSerializer,
                   responses={201: CallOutputSerializer, **errors(400, 401, 403)})
    def post(self, request):
        serializer = CallInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call = calls.call_log(operator=request.user, **serializer.validated_data,
                                 started_at=timezone.now())
        return Response(CallOutputSerializer(call).data, status=status.HTTP_201_CREATED)


class DeskLookupFilterSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=40, help_text="Any form: 8 701 123 45 67, ...")


class DeskLookupApi(GenericAPIView):
    """The caller's card(s), loans and what is due back, open orders, last visits, standing
    plan, preferences and the next dates a volunteer can come."""

    permission_classes = [Desk]
    queryset = Order.objects.none()

    serializer_class = DeskLookupOutputSerializer

    @extend_schema(operation_id="desk_lookup", parameters=[DeskLookupFilterSerializer],
                   responses={200: DeskLookupOutputSerializer, **errors(400, 401, 403)})
    def get(self, request):
        from backend.orders.desk import desk_lookup
        from backend.readers.serializers import FamilyOutputSerializer, ReaderOutputSerializer

        filters = DeskLookupFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = desk_lookup(filters.validated_data["phone"])
        card_access_record(request=request, readers=[m["reader"] for m in found["matches"]],
                           family_cards=found["family_cards"],
                           action=CardAccess.Action.LOOKUP, channel=CardAccess.Channel.API)
        matches = []
        for match in found["matches"]:
            card = ReaderOutputSerializer(match.pop("reader"), context={"request": request}).data
            matches.append({"reader": card, **match})
        return Response({
            "phone": found["phone"],
            "matches": matches,
            "family_cards": FamilyOutputSerializer(found["family_cards"], many=True).data,
        })
