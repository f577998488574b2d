"""Staff API for loans: lists, renewals on the phone, returns at the desk, reading history."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.branches.models import branch_today
from backend.circulation import selectors, services
from backend.circulation.models import Loan, LoanStatus
from backend.core import dates
from backend.core.permissions import roles_allowed
from backend.core.roles import STAFF_ROLES, Role, sees_reading
from backend.core.schema import errors
from backend.core.serializers import BoundedDateField, IdField
from backend.readers.models import CardAccess, FamilyCard, Reader
from backend.readers.services import card_access_record

Loans = roles_allowed(read=tuple(STAFF_ROLES), write=(Role.OPERATOR, Role.LIBRARIAN))
Returns = roles_allowed(read=(Role.LIBRARIAN,), write=(Role.LIBRARIAN,))
# What a reader has read (titles, formats such as Braille or audio) is for those who choose
# their books: librarians and operators. Coordinators plan pick-ups from what is out and when
# it is due (PickupLoanOutputSerializer): no title, format or barcode, no returned loans.
ReadingHistory = roles_allowed(read=(Role.LIBRARIAN, Role.OPERATOR))


class LoanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    barcode = serializers.CharField(source="item.barcode")
    title = serializers.SerializerMethodField()
    reader = serializers.SerializerMethodField()
    family_card = serializers.IntegerField(source="family_card_id", allow_null=True)
    branch = serializers.IntegerField(source="branch_id")
    issued_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    renewals = serializers.IntegerField()
    returned_at = serializers.DateTimeField(allow_null=True)
    return_channel = serializers.CharField()
    order_line = serializers.IntegerField(source="order_line_id", allow_null=True)

    def get_title(self, obj) -> dict:
        return {"id": obj.title_id, "title": obj.title.title, "authors": obj.title.authors,
                "format": obj.title.format, "language": obj.title.language}

    def get_reader(self, obj) -> dict:
        return {"id": obj.reader_id, "card_number": obj.reader.card_number,
                "full_name": obj.reader.full_name}


class PickupLoanOutputSerializer(serializers.Serializer):
    """A loan as a coordinator sees it: one item out at a household and when it is due back.
    Nothing says which book it is (a title or a format tells about the reader's health)."""

    id = serializers.IntegerField()
    reader = serializers.SerializerMethodField()
    family_card = serializers.IntegerField(source="family_card_id", allow_null=True)
    branch = serializers.IntegerField(source="branch_id")
    due_date = serializers.DateField()
    overdue = serializers.SerializerMethodField()

    def get_reader(self, obj) -> dict:
        return {"id": obj.reader_id, "card_number": obj.reader.card_number,
                "full_name": obj.reader.full_name}

    def get_overdue(self, obj) -> bool:
        return obj.due_date < branch_today()


LOAN_ANSWER = PolymorphicProxySerializer(
    component_name="LoanAnswer",
    serializers=[LoanOutputSerializer, PickupLoanOutputSerializer],
    resource_type_field_name=None,
    many=True,
)


def loan_serializer(request) -> type[serializers.Serializer]:
    """The whole loan for those who choose books; what to collect and when for the others."""
    return LoanOutputSerializer if sees_reading(request.user) else PickupLoanOutputSerializer


def record_loan_readers(request, loans, action=CardAccess.Action.READING) -> None:
    """Loans name their readers: one access-log row for the cards a page of them showed."""
    card_access_record(request=request, readers=[loan.reader_id for loan in loans],
                       family_cards=[loan.family_card_id for loan in loans],
                       action=action, channel=CardAccess.Channel.API)


class LoanFilterSerializer(serializers.Serializer):
    reader = IdField(required=False)
    family_card = serializers.PrimaryKeyRelatedField(queryset=FamilyCard.objects.all(),
                                                     required=False)
    status = serializers.ChoiceField(choices=LoanStatus.choices, required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    barcode = serializers.CharField(required=False)


class LoanListApi(GenericAPIView):
    permission_classes = [Loans]
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer

    @extend_schema(operation_id="loans_list", parameters=[LoanFilterSerializer],
                   description="Librarians and operators get whole loans. Coordinators get "
                               "the loans still out (PickupLoanOutput: the household and the "
                               "due date, no title, format or barcode); asking them for "
                               "returned loans or a barcode is 403.",
                   responses={200: LOAN_ANSWER, **errors(400, 401, 403)})
    def get(self, request):
        filters = LoanFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        qs = selectors.loan_queryset()
        output = loan_serializer(request)
        if output is PickupLoanOutputSerializer:
            if data.get("barcode") or data.get("status") not in (None, LoanStatus.ACTIVE):
                # A copy's barcode names its title; returned loans are reading history.
                raise exceptions.PermissionDenied(
                    _("Your role sees only what is due back, not which books a reader has "
                      "or has read."))
            qs = qs.filter(status=LoanStatus.ACTIVE)
        if data.get("reader"):
            qs = qs.filter(reader_id=data["reader"])
        if data.get("family_card"):
            qs = qs.filter(selectors.household_q(None, data["family_card"]))
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("barcode"):
            qs = qs.filter(item__barcode=data["barcode"].strip())
        if data.get("overdue"):
            qs = qs.filter(status=LoanStatus.ACTIVE, due_date__lt=branch_today())
        page = self.paginate_queryset(qs.order_by("-issued_at", "-id"))
        record_loan_readers(request, page)
        return self.get_paginated_response(output(page, many=True).data)


class LoanRenewApi(GenericAPIView):
    """Renew on the phone: up to the branch's number of renewals, unless someone waits."""

    permission_classes = [Loans]
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer

    @extend_schema(operation_id="loans_renew", request=None,
                   responses={200: LoanOutputSerializer, **errors(401, 403, 404, 409)})
    def post(self, request, pk: int):
        loan = get_object_or_404(Loan, pk=pk)
        loan = services.loan_renew(loan=loan, by=request.user)
        return Response(LoanOutputSerializer(selectors.loan_queryset().get(pk=loan.pk)).data)


class ReturnInputSerializer(serializers.Serializer):
    barcodes = serializers.ListField(child=serializers.CharField(max_length=40),
                                     allow_empty=False, max_length=200)


class ReturnApi(GenericAPIView):
    """Returns at the desk by barcode. All or nothing: an unknown barcode returns none."""

    permission_classes = [Returns]
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer

    @extend_schema(operation_id="returns_create", request=ReturnInputSerializer,
                   responses={200: LoanOutputSerializer(many=True), **errors(400, 401, 403, 409)})
    def post(self, request):
        from django.db import transaction

        serializer = ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            loans = services.loans_return(barcodes=serializer.validated_data["barcodes"],
                                          by=request.user)
        loans = selectors.loan_queryset().filter(pk__in=[loan.pk for loan in loans])
        return Response(LoanOutputSerializer(loans, many=True).data)


class ReaderReadingHistoryApi(GenericAPIView):
    permission_classes = [ReadingHistory]
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer

    @extend_schema(operation_id="readers_reading_history",
                   responses={200: LoanOutputSerializer(many=True),
                              **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        reader = get_object_or_404(Reader, pk=pk)
        page = self.paginate_queryset(selectors.reading_history(reader=reader))
        card_access_record(request=request, readers=[reader],
                           family_cards=[loan.family_card_id for loan in page],
                           action=CardAccess.Action.READING, channel=CardAccess.Channel.API)
        return self.get_paginated_response(LoanOutputSerializer(page, many=True).data)


class FamilyReadingHistoryApi(ReaderReadingHistoryApi):
    @extend_schema(operation_id="family_cards_reading_history",
                   responses={200: LoanOutputSerializer(many=True),
                              **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        family = get_object_or_404(FamilyCard, pk=pk)
        page = self.paginate_queryset(selectors.reading_history(family=family))
        card_access_record(request=request, family_cards=[family],
                           readers=[loan.reader_id for loan in page],
                           action=CardAccess.Action.READING, channel=CardAccess.Channel.API)
        return self.get_paginated_response(LoanOutputSerializer(page, many=True).data)


class DueBackFilterSerializer(serializers.Serializer):
    date = BoundedDateField(bounds=dates.PERIOD, required=False,
                                 help_text="The visit date; by default the next visit date")


class ReaderDueBackApi(GenericAPIView):
    """What to hand back at the next visit (the household's loans due by then)."""

    permission_classes = [Loans]
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer
    pagination_class = None  # what goes back at one visit, a plain list

    @extend_schema(operation_id="readers_due_back", parameters=[DueBackFilterSerializer],
                   description="Librarians and operators get whole loans; coordinators get "
                               "what to collect and when it is due (PickupLoanOutput), not "
                               "which books.",
                   responses={200: LOAN_ANSWER, **errors(400, 401, 403, 404)})
    def get(self, request, pk: int):
        reader = get_object_or_404(Reader.objects.select_related("family_card", "branch"), pk=pk)
        filters = DueBackFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        on_date = filters.validated_data.get("date") or selectors.due_back_day(reader)
        family = reader.family_card if reader.family_card_id else None
        loans = list(selectors.due_back(reader=reader, family=family, on_date=on_date))
        card_access_record(request=request, readers=[reader, *(loan.reader_id for loan in loans)],
                           family_cards=[family] if family else [],
                           action=CardAccess.Action.READING, channel=CardAccess.Channel.API)
        return Response(loan_serializer(request)(loans, many=True).data)
