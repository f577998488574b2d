"""Staff API for importing and exporting reader cards as CSV or XLSX. Librarians only."""
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core.permissions import IsLibrarian
from backend.core.schema import ErrorSerializer, errors
from backend.readers import exports, selectors, services
from backend.readers.apis import ReaderFilterSerializer
from backend.readers.imports import DuplicateMode, import_readers
from backend.readers.models import CardAccess
from backend.readers.serializers import can_see_documents


class FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=csv|xlsx` names the file to make, not a DRF renderer: answers are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class FileFormatSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[("csv", "csv"), ("xlsx", "xlsx")], default="csv")


class ExportFilterSerializer(ReaderFilterSerializer, FileFormatSerializer):
    pass


FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["csv", "xlsx"], default="csv",
    description="File type to download.",
)
FILE_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY, description="CSV: UTF-8 with a BOM, `;`-separated (format=csv)."
    ),
    (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
        OpenApiTypes.BINARY, description="An XLSX workbook (format=xlsx)."
    ),
}


def _filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _FileApi(APIView):
    permission_classes = [IsLibrarian]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FileFormatNegotiation


class ReaderExportApi(_FileApi):
    """Reader cards as a file with the import's columns; the list's filters apply."""

    @extend_schema(
        operation_id="readers_export",
        parameters=[ReaderFilterSerializer, FORMAT_PARAMETER],
        responses={**FILE_RESPONSES, **errors(400, 401, 403)},
    )
    def get(self, request):
        params = ExportFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = {k: v for k, v in params.validated_data.items() if k != "format"}
        readers = selectors.reader_list(filters=filters, search_limit=None)
        documents = can_see_documents(request.user)
        services.card_access_record(request=request,
                                    readers=readers.order_by().values_list("pk", flat=True),
                                    action=CardAccess.Action.EXPORT,
                                    channel=CardAccess.Channel.API)
        if params.validated_data["format"] == "xlsx":
            body = exports.export_xlsx(readers, documents=documents)
            response = HttpResponse(body, content_type=exports.XLSX_CONTENT_TYPE)
            return _attachment(response, _filename("readers", "xlsx"))
        response = StreamingHttpResponse(
            exports.csv_lines(readers, documents=documents),
            content_type=exports.CSV_CONTENT_TYPE,
        )
        return _attachment(response, _filename("readers", "csv"))


class ReaderImportTemplateApi(_FileApi):
    """An empty list to fill in; the XLSX has a second sheet describing every column."""

    @extend_schema(
        operation_id="readers_import_template",
        parameters=[FORMAT_PARAMETER],
        responses={**FILE_RESPONSES, **errors(400, 401, 403)},
    )
    def get(self, request):
        params = FileFormatSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data["format"] == "xlsx":
            response = HttpResponse(exports.template_xlsx(),
                                    content_type=exports.XLSX_CONTENT_TYPE)
            return _attachment(response, "readers-template.xlsx")
        response = HttpResponse(exports.template_csv(), content_type=exports.CSV_CONTENT_TYPE)
        return _attachment(response, "readers-template.csv")


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the import says "import.empty_file" itself
        help_text=gettext_lazy("A .xlsx or .csv file"),
    )
    dry_run = serializers.BooleanField(
        default=False, help_text=gettext_lazy("Check only; write nothing.")
    )
    duplicates = serializers.ChoiceField(
        choices=[(m, m) for m in DuplicateMode.ALL], default=DuplicateMode.SKIP,
        help_text=gettext_lazy(
            "A row with a phone and birth date already on file (or in an earlier row): "
            "skip it, import it and flag it, or treat it as an error."
        ),
    )


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row as Excel numbers it; the header is row 1")
    column = serializers.CharField(help_text="Column name from the header")
    code = serializers.CharField()
    message = serializers.CharField()


class ImportDuplicateSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField(help_text="The phoneN column that matched, or card_number")
    existing_card = serializers.CharField(allow_null=True)
    same_as_row = serializers.IntegerField(allow_null=True)
    card_number = serializers.CharField(
        allow_null=True, help_text="The new card of a flagged row that was imported"
    )
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    duplicates_mode = serializers.CharField()
    total_rows = serializers.IntegerField()
    to_create = serializers.IntegerField(help_text="Cards a real run creates (0 if errors)")
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    flagged = serializers.IntegerField()
    errors = ImportRowErrorSerializer(many=True)
    duplicates = ImportDuplicateSerializer(many=True)


# The one error shape; with import.invalid_rows it also has fields.rows and report.
class ImportInvalidRowsFieldsSerializer(serializers.Serializer):
    rows = ImportRowErrorSerializer(many=True, required=False,
                                    help_text="With import.invalid_rows")


class ImportInvalidRowsSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="import.invalid_rows, or another error's code")
    message = serializers.CharField()
    fields = ImportInvalidRowsFieldsSerializer()
    report = ImportReportSerializer(required=False, help_text="With import.invalid_rows")


class ReaderImportApi(APIView):
    """Import reader cards from a file: every row is right and all are imported, or none."""

    permission_classes = [IsLibrarian]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="readers_import",
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            200: OpenApiResponse(ImportReportSerializer, description=(
                "Imported (or, with dry_run, checked: see `ok` and `errors`).")),
            400: OpenApiResponse(ImportInvalidRowsSerializer, description=(
                "`import.invalid_rows`: nothing was imported; `fields.rows` lists every bad "
                "row and column, `report` is the whole report. Also the one error shape with "
                "`import.bad_header` (fields.missing / fields.unknown), `import.empty_file`, "
                "`import.too_many_rows`, `import.bad_file` or `validation_error`.")),
            409: OpenApiResponse(ErrorSerializer, description=(
                "`import.busy`: cards matching rows of the file kept being added while it "
                "was imported; nothing was imported, try again.")),
            **errors(401, 403),
        },
        examples=[OpenApiExample(
            "One bad row",
            response_only=True,
            status_codes=["400"],
            value={
                "code": "import.invalid_rows",
                "message": "1 row has errors; nothing was imported.",
                "fields": {"rows": [{"row": 17, "column": "phone1", "code": "invalid_phone",
                                     "message": "Enter a valid phone number, e.g. "
                                                "8 701 123 45 67."}]},
                "report": {"ok": False, "total_rows": 1000, "created": 0},
            },
        )],
    )
    def post(self, request):
        params = ImportInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        report = import_readers(
            content=upload.read(),
            filename=upload.name or "",
            by=request.user,
            dry_run=params.validated_data["dry_run"],
            duplicates=params.validated_data["duplicates"],
        )
        body = report.as_dict()
        if report.ok or report.dry_run:
            return Response(body, status=status.HTTP_200_OK)
        bad_rows = len({e.row for e in report.errors})
        message = ngettext(
            "%(count)s row has errors; nothing was imported.",
            "%(count)s rows have errors; nothing was imported.",
            bad_rows,
        ) % {"count": bad_rows}
        return Response(
            {"code": "import.invalid_rows", "message": message,
             "fields": {"rows": body["errors"]}, "report": body},
            status=status.HTTP_400_BAD_REQUEST,
        )
