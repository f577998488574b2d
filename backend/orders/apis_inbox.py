"""The operator's inbox on the desk: replies to read, visits to move, incoming calls, each
with the reader's card when the number is known. The items are the outbox's
(backend/notifications); the cards shown and their access log are the readers'.
"""
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.core.permissions import roles_allowed
from backend.core.roles import Role
from backend.core.schema import errors
from backend.notifications import services
from backend.notifications.models import InboxItem, InboxKind, InboxStatus
from backend.notifications.serializers import InboxFilterSerializer, InboxItemOutputSerializer
from backend.readers.models import CardAccess, ReaderPhone
from backend.readers.serializers import ReaderOutputSerializer
from backend.readers.services import card_access_record

Desk = roles_allowed(read=(Role.OPERATOR, Role.LIBRARIAN), write=(Role.OPERATOR, Role.LIBRARIAN))


class IncomingCallOutputSerializer(InboxItemOutputSerializer):
    """The screen pop: the call and the caller's whole card."""

    card = serializers.SerializerMethodField()

    class Meta(InboxItemOutputSerializer.Meta):
        fields = [*InboxItemOutputSerializer.Meta.fields, "card"]

    def get_card(self, obj) -> dict | None:
        if obj.reader is None:
            return None
        return ReaderOutputSerializer(obj.reader, context=self.context).data


def _record_cards_shown(request, items) -> None:
    """The inbox and the incoming calls name readers and their phones: one access-log row
    for the page, naming every card on it."""
    card_access_record(request=request, action=CardAccess.Action.LIST,
                       channel=CardAccess.Channel.DESK,
                       readers=[item.reader_id for item in items if item.reader_id])


class InboxListApi(GenericAPIView):
    """The operator's inbox: replies to read, visits to move, calls; open ones by default,
    newest first."""

    permission_classes = [Desk]
    queryset = InboxItem.objects.none()
    serializer_class = InboxItemOutputSerializer

    @extend_schema(operation_id="desk_inbox_list", parameters=[InboxFilterSerializer],
                   responses={200: InboxItemOutputSerializer(many=True), **errors(400, 401, 403)})
    def get(self, request):
        filters = InboxFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = InboxItem.objects.select_related("reader", "assignee").filter(
            status=filters.validated_data["status"]).order_by("-urgent", "-created_at", "-id")
        if filters.validated_data.get("kind"):
            qs = qs.filter(kind=filters.validated_data["kind"])
        page = self.paginate_queryset(qs)
        _record_cards_shown(request, page)
        return self.get_paginated_response(InboxItemOutputSerializer(page, many=True).data)


class InboxDoneApi(GenericAPIView):
    permission_classes = [Desk]
    queryset = InboxItem.objects.none()
    serializer_class = InboxItemOutputSerializer
    kinds: tuple[str, ...] = tuple(InboxKind.values)

    @extend_schema(operation_id="desk_inbox_done", request=None,
                   responses={200: InboxItemOutputSerializer, **errors(401, 403, 404)})
    def post(self, request, pk: int):
        item = get_object_or_404(InboxItem, pk=pk, kind__in=self.kinds)
        item = services.inbox_item_done(item=item, by=request.user)
        return Response(self.serializer_class(item, context={"request": request}).data)


class IncomingCallListApi(GenericAPIView):
    """Calls ringing or just taken, newest first, each with the caller's card."""

    permission_classes = [Desk]
    queryset = InboxItem.objects.none()
    serializer_class = IncomingCallOutputSerializer

    @extend_schema(operation_id="desk_incoming_list",
                   responses={200: IncomingCallOutputSerializer(many=True),
                              **errors(400, 401, 403)})
    def get(self, request):
        qs = (InboxItem.objects.filter(kind=InboxKind.CALL, status=InboxStatus.OPEN)
              .select_related("reader__branch", "reader__family_card",
                              "reader__consent_recorded_by", "assignee")
              .prefetch_related(Prefetch("reader__phones",
                                         queryset=ReaderPhone.objects.order_by("position", "id")))
              .order_by("-created_at", "-id"))
        page = self.paginate_queryset(qs)
        _record_cards_shown(request, page)
        return self.get_paginated_response(
            IncomingCallOutputSerializer(page, many=True, context={"request": request}).data)


class IncomingCallDoneApi(InboxDoneApi):
    serializer_class = IncomingCallOutputSerializer
    kinds = (InboxKind.CALL,)

    @extend_schema(operation_id="desk_incoming_done", request=None,
                   responses={200: IncomingCallOutputSerializer, **errors(401, 403, 404)})
    def post(self, request, pk: int):
        return super().post(request, pk)
