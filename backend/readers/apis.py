"""Staff API for reader cards and family cards. Thin: validate, call a service, answer."""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.core import dates
from backend.core.permissions import roles_allowed
from backend.core.roles import STAFF_ROLES, Role
from backend.core.schema import errors
from backend.core.serializers import BoundedDateTimeField, IdField
from backend.readers import geocoding, selectors, services
from backend.readers.models import (
    CardAccess,
    CardChange,
    Category,
    FamilyCard,
    FamilyStatus,
    Reader,
    ReaderStatus,
)
from backend.readers.serializers import (
    CardAccessOutputSerializer,
    CardChangeOutputSerializer,
    FamilyInputSerializer,
    FamilyOutputSerializer,
    ReaderCreateInputSerializer,
    ReaderInputSerializer,
    ReaderOutputSerializer,
    hidden_card_fields,
)

# Librarians keep the cards; operators and coordinators read them.
CardPermission = roles_allowed(read=tuple(STAFF_ROLES), write=(Role.LIBRARIAN,))
# Who opened which card: librarians answer readers' questions about their data.
AccessLogPermission = roles_allowed(read=(Role.LIBRARIAN,))

READER_EXAMPLE = OpenApiExample(
    "New reader",
    request_only=True,
    value={
        "branch": 1,
        "last_name": "Ахметова",
        "first_name": "Әлия",
        "patronymic": "Серікқызы",
        "birth_date": "1948-03-12",
        "category": "elderly",
        "categories": ["elderly", "disability_2"],
        "language": "kk",
        "phones": [{"number": "8 (701) 123-45-67", "kind": "mobile", "sms_ok": True}],
        "address": {"settlement": "Бишкуль", "street": "Абая", "house": "12", "apartment": "4",
                    "entrance": "1", "floor": 2, "lat": 54.779, "lon": 69.101},
        "availability": [{"weekday": 1, "start": "10:00", "end": "13:00"}],
        "preferences": {"subjects": ["поэзия"], "formats": ["large_print"], "languages": ["kk"]},
        "consent": {"date": "2026-11-01"},
    },
)


class ReaderFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        help_text=_("Name however it is typed (Kazakh letters or not, Latin, one typo), card "
                    "number, or phone in any form or its last 7 digits."),
    )
    status = serializers.ChoiceField(choices=ReaderStatus.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    branch = IdField(required=False)
    settlement = serializers.CharField(required=False)
    language = serializers.ChoiceField(choices=[("kk", "kk"), ("ru", "ru")], required=False)
    family_card = IdField(required=False)
    has_coordinates = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text=_("false: only cards without coordinates (a volunteer cannot be routed there)"),
    )


def _list_action(filters: dict) -> str:
    return CardAccess.Action.SEARCH if filters.get("q") else CardAccess.Action.LIST


def _family_cards_shown(request, families, action: str) -> None:
    """A family card shows its members' names and card numbers too."""
    services.card_access_record(
        request=request, family_cards=families,
        readers=[member for family in families for member in family.members.all()],
        action=action, channel=CardAccess.Channel.API)


class ReaderListApi(GenericAPIView):
    permission_classes = [CardPermission]
    queryset = Reader.objects.none()  # for the schema; selectors do the reads
    serializer_class = ReaderOutputSerializer

    @extend_schema(
        operation_id="readers_list",
        parameters=[ReaderFilterSerializer],
        responses={200: ReaderOutputSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request):
        filters = ReaderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        if "category" in filters.validated_data and "category" in hidden_card_fields(request.user):
            # The filter would tell who is in a disability group as well as the card does.
            raise exceptions.PermissionDenied(
                _("Your role does not see the readers' category, so it cannot filter by it."))
        page = self.paginate_queryset(selectors.reader_list_pages(filters=filters.validated_data))
        services.card_access_record(request=request, readers=page,
                                    action=_list_action(filters.validated_data),
                                    channel=CardAccess.Channel.API)
        data = ReaderOutputSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="readers_create",
        request=ReaderCreateInputSerializer,
        responses={201: ReaderOutputSerializer, **errors(400, 401, 403, 409)},
        examples=[READER_EXAMPLE],
        description=_("409 `reader.possible_duplicate`: an open card has the same birth date "
                      "and a phone or the last and first name; `fields.duplicates` lists "
                      "them (id, card_number, full_name, reason). Send again with "
                      "`confirm_duplicate: true` if it is a different person."),
    )
    def post(self, request):
        serializer = ReaderCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reader = services.reader_create(
            data=serializer.to_flat(), by=request.user,
            refuse_duplicates=not serializer.validated_data["confirm_duplicate"])
        reader = selectors.reader_queryset().get(pk=reader.pk)
        body = ReaderOutputSerializer(reader, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ReaderDetailApi(GenericAPIView):
    permission_classes = [CardPermission]
    queryset = Reader.objects.none()  # for the schema; selectors do the reads
    serializer_class = ReaderOutputSerializer

    def get_reader(self, pk: int):
        return get_object_or_404(selectors.reader_queryset(), pk=pk)

    @extend_schema(operation_id="readers_retrieve",
                   responses={200: ReaderOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        reader = self.get_reader(pk)
        services.card_access_record(request=request, readers=[reader],
                                    action=CardAccess.Action.VIEW,
                                    channel=CardAccess.Channel.API)
        return Response(ReaderOutputSerializer(reader, context={"request": request}).data)

    def _update(self, request, pk: int, partial: bool):
        reader = self.get_reader(pk)
        serializer = ReaderInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.reader_update(reader=reader, data=serializer.to_flat(), by=request.user)
        reader = self.get_reader(pk)
        return Response(ReaderOutputSerializer(reader, context={"request": request}).data)

    @extend_schema(operation_id="readers_update", request=ReaderInputSerializer,
                   responses={200: ReaderOutputSerializer, **errors(400, 401, 403, 404)})
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(operation_id="readers_partial_update", request=ReaderInputSerializer,
                   responses={200: ReaderOutputSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)


class GeocodeChooseInputSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(
        min_value=0, help_text=_("Which of the card's geocode_candidates, counting from 0."))


class ReaderGeocodeChooseApi(GenericAPIView):
    """Choose the place of an ambiguous address among those the geocoder found."""

    permission_classes = [CardPermission]
    queryset = Reader.objects.none()  # for the schema; selectors do the reads
    serializer_class = ReaderOutputSerializer

    @extend_schema(operation_id="readers_geocode_choose", request=GeocodeChooseInputSerializer,
                   responses={200: ReaderOutputSerializer, **errors(400, 401, 403, 404)})
    def post(self, request, pk: int):
        reader = get_object_or_404(selectors.reader_queryset(), pk=pk)
        serializer = GeocodeChooseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        geocoding.reader_geocode_choose(reader=reader, by=request.user,
                                        candidate=serializer.validated_data["candidate"])
        reader = selectors.reader_queryset().get(pk=pk)
        return Response(ReaderOutputSerializer(reader, context={"request": request}).data)


class ReaderHistoryApi(GenericAPIView):
    """Who changed what on a card, newest first. Document values are hidden from non-librarians."""

    permission_classes = [CardPermission]
    queryset = CardChange.objects.none()  # for the schema; selectors do the reads
    serializer_class = CardChangeOutputSerializer

    @extend_schema(operation_id="readers_history",
                   responses={200: CardChangeOutputSerializer(many=True),
                              **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        reader = get_object_or_404(selectors.reader_queryset(), pk=pk)
        services.card_access_record(request=request, readers=[reader],
                                    action=CardAccess.Action.HISTORY,
                                    channel=CardAccess.Channel.API)
        page = self.paginate_queryset(selectors.card_history(reader=reader))
        data = CardChangeOutputSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class FamilyFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, help_text=_("Member name or family card number"))
    status = serializers.ChoiceField(choices=FamilyStatus.choices, required=False)
    branch = IdField(required=False)


class FamilyCardListApi(GenericAPIView):
    permission_classes = [CardPermission]
    queryset = FamilyCard.objects.none()  # for the schema; selectors do the reads
    serializer_class = FamilyOutputSerializer

    @extend_schema(operation_id="family_cards_list", parameters=[FamilyFilterSerializer],
                   responses={200: FamilyOutputSerializer(many=True), **errors(400, 401, 403)})
    def get(self, request):
        filters = FamilyFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.family_card_list(filters=filters.validated_data))
        _family_cards_shown(request, page, _list_action(filters.validated_data))
        return self.get_paginated_response(FamilyOutputSerializer(page, many=True).data)

    @extend_schema(operation_id="family_cards_create", request=FamilyInputSerializer,
                   responses={201: FamilyOutputSerializer, **errors(400, 401, 403, 409)})
    def post(self, request):
        serializer = FamilyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        family = services.family_card_create(data=serializer.to_flat(), by=request.user)
        family = selectors.family_card_queryset().get(pk=family.pk)
        return Response(FamilyOutputSerializer(family).data, status=status.HTTP_201_CREATED)


class FamilyCardDetailApi(GenericAPIView):
    permission_classes = [CardPermission]
    queryset = FamilyCard.objects.none()  # for the schema; selectors do the reads
    serializer_class = FamilyOutputSerializer

    def get_family(self, pk: int):
        return get_object_or_404(selectors.family_card_queryset(), pk=pk)

    @extend_schema(operation_id="family_cards_retrieve",
                   responses={200: FamilyOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        family = self.get_family(pk)
        _family_cards_shown(request, [family], CardAccess.Action.VIEW)
        return Response(FamilyOutputSerializer(family).data)

    def _update(self, request, pk: int, partial: bool):
        family = self.get_family(pk)
        serializer = FamilyInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.family_card_update(family=family, data=serializer.to_flat(), by=request.user)
        return Response(FamilyOutputSerializer(self.get_family(pk)).data)

    @extend_schema(operation_id="family_cards_update", request=FamilyInputSerializer,
                   responses={200: FamilyOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(operation_id="family_cards_partial_update", request=FamilyInputSerializer,
                   responses={200: FamilyOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)


class FamilyCardHistoryApi(GenericAPIView):
    permission_classes = [CardPermission]
    queryset = CardChange.objects.none()  # for the schema; selectors do the reads
    serializer_class = CardChangeOutputSerializer

    @extend_schema(operation_id="family_cards_history",
                   responses={200: CardChangeOutputSerializer(many=True),
                              **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        family = get_object_or_404(selectors.family_card_queryset(), pk=pk)
        services.card_access_record(request=request, family_cards=[family],
                                    action=CardAccess.Action.HISTORY,
                                    channel=CardAccess.Channel.API)
        page = self.paginate_queryset(selectors.card_history(family=family))
        data = CardChangeOutputSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class CardAccessFilterSerializer(serializers.Serializer):
    reader = IdField(required=False)
    family_card = IdField(required=False)
    user = IdField(required=False)
    action = serializers.ChoiceField(choices=CardAccess.Action.choices, required=False)
    channel = serializers.ChoiceField(choices=CardAccess.Channel.choices, required=False)
    since = BoundedDateTimeField(bounds=dates.PERIOD, required=False)
    until = BoundedDateTimeField(bounds=dates.PERIOD, required=False)


class CardAccessListApi(GenericAPIView):
    """Who was shown which cards, when and where (the API, the phone desk, the planning
    pages, the admin): one row per request, naming every card it showed (a card opened, a
    list or search, a reading history, a day plan, an export). `?reader=` finds the rows that
    name that card among others. Newest first. Librarians only."""

    permission_classes = [AccessLogPermission]
    queryset = CardAccess.objects.none()  # for the schema; selectors do the reads
    serializer_class = CardAccessOutputSerializer

    @extend_schema(operation_id="card_access_list", parameters=[CardAccessFilterSerializer],
                   responses={200: CardAccessOutputSerializer(many=True),
                              **errors(400, 401, 403)})
    def get(self, request):
        filters = CardAccessFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.card_access_list(filters=filters.validated_data))
        return self.get_paginated_response(CardAccessOutputSerializer(page, many=True).data)
