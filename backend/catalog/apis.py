"""Staff API for the catalog: titles, copies, a copy's status, and the import of files.

All staff read; librarians write. Volunteers use the mobile API and get 403 here.
"""
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from backend.branches.models import Branch
from backend.catalog import selectors, services
from backend.catalog.imports import FORMATS, clean_isbn, import_catalog, year_bounds
from backend.catalog.models import (
    AgeRating,
    Format,
    Item,
    ItemStatus,
    Title,
    TitleLanguage,
)
from backend.core.permissions import roles_allowed
from backend.core.roles import STAFF_ROLES, Role
from backend.core.schema import errors
from backend.core.serializers import IdField

# Librarians keep the catalog; operators and coordinators look things up in it.
CatalogPermission = roles_allowed(read=tuple(STAFF_ROLES), write=(Role.LIBRARIAN,))
LibrarianOnly = roles_allowed(read=(Role.LIBRARIAN,), write=(Role.LIBRARIAN,))

WRITE_OFF_STATUSES = [
    (ItemStatus.LOST, ItemStatus.LOST.label),
    (ItemStatus.WITHDRAWN, ItemStatus.WITHDRAWN.label),
    (ItemStatus.IN_TRANSIT, ItemStatus.IN_TRANSIT.label),
    (ItemStatus.AVAILABLE, ItemStatus.AVAILABLE.label),
]


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class FormatFilterNegotiation(DefaultContentNegotiation):
    """`?format=audio` filters titles by format here; it does not choose a renderer."""

    settings = _NoFormatOverride()


# Shapes -----------------------------------------------------------------------------------------


class TitleItemOutputSerializer(serializers.ModelSerializer):
    """A copy, as listed under its title."""

    branch_code = serializers.CharField(source="branch.code", read_only=True)

    class Meta:
        model = Item
        fields = ("id", "barcode", "branch", "branch_code", "status", "shelf_mark", "note")


class TitleOutputSerializer(serializers.ModelSerializer):
    copies = serializers.IntegerField(read_only=True, help_text="Copies of this title")
    available = serializers.IntegerField(read_only=True, help_text="Copies on the shelf")

    class Meta:
        model = Title
        fields = ("id", "title", "authors", "language", "format", "subjects", "isbn", "year",
                  "publisher", "age_rating", "annotation", "copies", "available")

    def to_representation(self, instance):
        # The fields' values as they are (text, numbers, JSON lists), in Meta.fields' order:
        # a search's page does not build the model serializer's fields for its titles. The
        # fields stay the schema.
        return {name: getattr(instance, name) for name in TitleOutputSerializer.Meta.fields}


class TitleDetailOutputSerializer(TitleOutputSerializer):
    items = TitleItemOutputSerializer(many=True, read_only=True)

    class Meta(TitleOutputSerializer.Meta):
        fields = (*TitleOutputSerializer.Meta.fields, "items")

    def to_representation(self, instance):
        return {**super().to_representation(instance),
                "items": TitleItemOutputSerializer(instance.items.all(), many=True).data}


class IsbnField(serializers.CharField):
    """ISBN-10 or ISBN-13 in any hyphenation, with a correct check digit; stored as digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return clean_isbn(text)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid_isbn") from exc


class TitleInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500)
    authors = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                    max_length=50)
    language = serializers.ChoiceField(choices=TitleLanguage.choices, required=False)
    format = serializers.ChoiceField(choices=Format.choices, required=False)
    subjects = serializers.ListField(child=serializers.CharField(max_length=100),
                                     required=False, max_length=50)
    isbn = IsbnField()
    year = serializers.IntegerField(required=False, allow_null=True)
    publisher = serializers.CharField(max_length=200, allow_blank=True, required=False)
    age_rating = serializers.ChoiceField(choices=AgeRating.choices, allow_blank=True,
                                         required=False)
    annotation = serializers.CharField(allow_blank=True, required=False)

    def validate_year(self, value):
        low, high = year_bounds()
        if value is not None and not low <= value <= high:
            raise serializers.ValidationError(
                _("The year must be a number from %(low)s to %(high)s.")
                % {"low": low, "high": high})
        return value


class TitleFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        help_text=gettext_lazy(
            "Title or author (Kazakh letters typed or not, Latin too), ISBN or barcode"),
    )
    language = serializers.ChoiceField(choices=TitleLanguage.choices, required=False)
    format = serializers.ChoiceField(choices=Format.choices, required=False)
    subject = serializers.CharField(required=False)
    available_at = IdField(
        required=False, help_text=gettext_lazy("Branch id: titles with a copy on its shelf")
    )


class ItemTitleOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Title
        fields = ("id", "title", "authors", "language", "format", "isbn", "year")


class ItemOutputSerializer(serializers.ModelSerializer):
    title = ItemTitleOutputSerializer(read_only=True)
    branch_code = serializers.CharField(source="branch.code", read_only=True)

    class Meta:
        model = Item
        fields = ("id", "barcode", "title", "branch", "branch_code", "status", "shelf_mark",
                  "note", "created_at", "updated_at")


class ItemInputSerializer(serializers.Serializer):
    title = serializers.PrimaryKeyRelatedField(queryset=Title.objects.all())
    barcode = serializers.CharField(max_length=40)
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all())
    shelf_mark = serializers.CharField(max_length=60, allow_blank=True, required=False)
    note = serializers.CharField(max_length=250, allow_blank=True, required=False)

    def validate_barcode(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("This field may not be blank."))
        return value


class ItemUpdateInputSerializer(serializers.Serializer):
    """A copy's barcode and title do not change; it can move or get a new shelf mark."""

    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False)
    shelf_mark = serializers.CharField(max_length=60, allow_blank=True, required=False)
    note = serializers.CharField(max_length=250, allow_blank=True, required=False)


class ItemStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WRITE_OFF_STATUSES)


class ItemFilterSerializer(serializers.Serializer):
    barcode = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    branch = IdField(required=False)
    title = IdField(required=False)
    q = serializers.CharField(required=False, help_text=gettext_lazy("Title or author"))


TITLE_EXAMPLE = OpenApiExample(
    "New title",
    request_only=True,
    value={
        "title": "Абай жолы", "authors": ["Мұхтар Әуезов"], "language": "kk",
        "format": "large_print", "subjects": ["қазақ әдебиеті", "роман"],
        "isbn": "978-601-03-0370-6", "year": 2017, "publisher": "Жазушы", "age_rating": "12+",
    },
)


# Titles --------------------------------------------------------------------------------------


def _title_detail(pk: int) -> Title:
    items = Prefetch("items", queryset=Item.objects.select_related("branch").order_by("barcode"))
    return get_object_or_404(selectors.title_queryset().prefetch_related(items), pk=pk)


class TitleListApi(GenericAPIView):
    permission_classes = [CatalogPermission]
    content_negotiation_class = FormatFilterNegotiation
    queryset = Title.objects.none()  # for the schema; selectors do the reads
    serializer_class = TitleOutputSerializer

    @extend_schema(
        operation_id="titles_list",
        parameters=[TitleFilterSerializer],
        responses={200: TitleOutputSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request):
        filters = TitleFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        # Best matches first, one row a title (its copies counted by subqueries): the page
        # counts them itself (counted_with_rows).
        page = self.paginate_queryset(selectors.title_list_pages(filters=filters.validated_data))
        return self.get_paginated_response(TitleOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="titles_create",
        request=TitleInputSerializer,
        responses={201: TitleDetailOutputSerializer, **errors(400, 401, 403)},
        examples=[TITLE_EXAMPLE],
    )
    def post(self, request):
        serializer = TitleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        title = services.title_create(data=serializer.validated_data)
        body = TitleDetailOutputSerializer(_title_detail(title.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class TitleDetailApi(GenericAPIView):
    permission_classes = [CatalogPermission]
    queryset = Title.objects.none()  # for the schema; selectors do the reads
    serializer_class = TitleDetailOutputSerializer

    @extend_schema(operation_id="titles_retrieve",
                   responses={200: TitleDetailOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(TitleDetailOutputSerializer(_title_detail(pk)).data)

    @extend_schema(operation_id="titles_partial_update", request=TitleInputSerializer,
                   responses={200: TitleDetailOutputSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request, pk: int):
        title = get_object_or_404(Title.objects.all(), pk=pk)
        serializer = TitleInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.title_update(title=title, data=serializer.validated_data)
        return Response(TitleDetailOutputSerializer(_title_detail(pk)).data)


# Copies --------------------------------------------------------------------------------------


class ItemListApi(GenericAPIView):
    permission_classes = [CatalogPermission]
    queryset = Item.objects.none()  # for the schema; selectors do the reads
    serializer_class = ItemOutputSerializer

    @extend_schema(
        operation_id="items_list",
        parameters=[ItemFilterSerializer],
        responses={200: ItemOutputSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request):
        filters = ItemFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.item_list(filters=filters.validated_data))
        return self.get_paginated_response(ItemOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="items_create",
        request=ItemInputSerializer,
        responses={201: ItemOutputSerializer, **errors(400, 401, 403, 409)},
    )
    def post(self, request):
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.item_create(data=serializer.validated_data)
        item = selectors.item_queryset().get(pk=item.pk)
        return Response(ItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class ItemDetailApi(GenericAPIView):
    permission_classes = [CatalogPermission]
    queryset = Item.objects.none()  # for the schema; selectors do the reads
    serializer_class = ItemOutputSerializer

    def get_item(self, pk: int) -> Item:
        return get_object_or_404(selectors.item_queryset(), pk=pk)

    @extend_schema(operation_id="items_retrieve",
                   responses={200: ItemOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(ItemOutputSerializer(self.get_item(pk)).data)

    @extend_schema(operation_id="items_partial_update", request=ItemUpdateInputSerializer,
                   responses={200: ItemOutputSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request, pk: int):
        item = self.get_item(pk)
        serializer = ItemUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.item_update(item=item, data=serializer.validated_data)
        return Response(ItemOutputSerializer(self.get_item(pk)).data)


class ItemStatusApi(GenericAPIView):
    """Lost, withdrawn, in transit between branches, or back on the shelf.

    Reserved and on loan are set by orders and circulation, not here.
    """

    permission_classes = [CatalogPermission]
    queryset = Item.objects.none()  # for the schema; selectors do the reads
    serializer_class = ItemOutputSerializer

    @extend_schema(operation_id="items_set_status", request=ItemStatusInputSerializer,
                   responses={200: ItemOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        item = get_object_or_404(selectors.item_queryset(), pk=pk)
        serializer = ItemStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.item_write_off(item=item, status=serializer.validated_data["status"])
        item = selectors.item_queryset().get(pk=pk)
        return Response(ItemOutputSerializer(item).data)


# Import --------------------------------------------------------------------------------------


class TitleImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=gettext_lazy("A .csv, .xlsx, .mrc (ISO 2709) or .xml file"))
    format = serializers.ChoiceField(
        choices=[(f, f) for f in FORMATS], required=False,
        help_text=gettext_lazy("csv, xlsx, marc or marcxml; by default from the file's extension"),
    )
    branch = serializers.CharField(
        required=False, allow_blank=True, max_length=8,
        help_text=gettext_lazy("Branch code for copies whose record names no branch"),
    )
    dry_run = serializers.BooleanField(default=False,
                                       help_text=gettext_lazy("Check only; write nothing."))


class TitleImportErrorSerializer(serializers.Serializer):
    position = serializers.IntegerField(
        help_text="CSV, XLSX: row number, the header is row 1; MARC: record number from 1")
    field = serializers.CharField(help_text="CSV or XLSX column, or MARC tag, e.g. 245 or 852$b")
    code = serializers.CharField()
    message = serializers.CharField()


class TitleImportReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    format = serializers.CharField()
    dry_run = serializers.BooleanField()
    position = serializers.CharField(help_text="row (CSV) or record (MARC)")
    total_records = serializers.IntegerField()
    titles_to_create = serializers.IntegerField()
    items_to_create = serializers.IntegerField()
    titles_created = serializers.IntegerField()
    items_created = serializers.IntegerField()
    errors = TitleImportErrorSerializer(many=True)


# The one error shape; with import.invalid_records it also has fields.records and report.
class TitleImportInvalidFieldsSerializer(serializers.Serializer):
    records = TitleImportErrorSerializer(many=True, required=False,
                                         help_text="With import.invalid_records")


class TitleImportInvalidSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="import.invalid_records, or another error's code")
    message = serializers.CharField()
    fields = TitleImportInvalidFieldsSerializer()
    report = TitleImportReportSerializer(required=False, help_text="With import.invalid_records")


class TitleImportApi(GenericAPIView):
    """Import titles and copies from CSV, MARC21 or MARCXML: all records or none."""

    permission_classes = [LibrarianOnly]
    parser_classes = [MultiPartParser, FormParser]
    queryset = Title.objects.none()  # for the schema
    serializer_class = TitleImportReportSerializer

    @extend_schema(
        operation_id="titles_import",
        request={"multipart/form-data": TitleImportInputSerializer},
        responses={
            200: OpenApiResponse(TitleImportReportSerializer, description=(
                "Imported (with dry_run: checked, nothing written).")),
            400: OpenApiResponse(TitleImportInvalidSerializer, description=(
                "`import.invalid_records`: nothing was imported (also on a dry run); "
                "`fields.records` names each bad record and field. Also the one error shape "
                "with `import.bad_header`, `import.empty_file`, `import.unknown_format`, "
                "`import.unknown_branch` or `validation_error`.")),
            **errors(401, 403, 409),
        },
        examples=[OpenApiExample(
            "One bad record",
            response_only=True,
            status_codes=["400"],
            value={
                "code": "import.invalid_records",
                "message": "1 record has errors; nothing was imported.",
                "fields": {"records": [{"position": 537, "field": "245$a",
                                        "code": "import.missing_title",
                                        "message": "The title is missing."}]},
                "report": {"ok": False, "total_records": 1000, "titles_created": 0},
            },
        )],
    )
    def post(self, request):
        params = TitleImportInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        report = import_catalog(
            content=upload.read(),
            format=params.validated_data.get("format"),
            filename=upload.name or "",
            branch=params.validated_data.get("branch") or None,
            dry_run=params.validated_data["dry_run"],
        )
        body = report.as_dict()
        if report.ok:
            return Response(body, status=status.HTTP_200_OK)
        bad = len({e.position for e in report.errors})
        if report.position_label == "row":
            message = ngettext("%(count)s row has errors; nothing was imported.",
                               "%(count)s rows have errors; nothing was imported.",
                               bad) % {"count": bad}
        else:
            message = ngettext("%(count)s record has errors; nothing was imported.",
                               "%(count)s records have errors; nothing was imported.",
                               bad) % {"count": bad}
        return Response(
            {"code": "import.invalid_records", "message": message,
             "fields": {"records": body["errors"]}, "report": body},
            status=status.HTTP_400_BAD_REQUEST,
        )
