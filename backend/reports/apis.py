"""Printouts for staff: a route's sheet (PDF) and picture (SVG); the library's figures
(JSON, XLSX, CSV).

Volunteers get their own sheet through the mobile API, from the same functions.
"""
import csv
from io import BytesIO, StringIO

from csp.decorators import csp_replace
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.branches.models import Branch
from backend.core.permissions import roles_allowed
from backend.core.roles import Role, sees_reading
from backend.core.schema import errors
from backend.core.tabular import csv_row, xlsx_row
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record
from backend.reports.figures import PERIOD_KINDS, as_of_text, default_period, summary
from backend.reports.print_pack import (
    pack_reader_ids,
    plan_pack_data,
    render_print_pack_pdf,
    render_route_sheet_pdf,
)
from backend.reports.route_map import render_route_svg
from backend.reports.route_sheet import (
    SHEET_LANGUAGES,
    format_number,
    route_sheet_data,
    routes_for_sheet,
    without_books,
)
from backend.routing.models import DayPlan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RoutePrintPermission = roles_allowed(read=(Role.COORDINATOR, Role.LIBRARIAN))


class JsonErrorsOnly(BaseContentNegotiation):
    """The body of a success is a file whatever the client accepts; errors are JSON.

    DRF's default negotiation would answer `Accept: application/pdf` with 406.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PrintoutFilterSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[(code, code) for code in SHEET_LANGUAGES], required=False,
        help_text=_("Print in this language instead of the volunteer's own."),
    )


class RoutePrintoutApi(APIView):
    permission_classes = [RoutePrintPermission]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    def sheet_data(self, request, pk: int) -> tuple[dict, str]:
        route = get_object_or_404(routes_for_sheet(), pk=pk)
        options = PrintoutFilterSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        data = route_sheet_data(route)
        card_access_record(
            request=request,
            readers=[pk for stop in data["stops"] for pk in (stop["reader_id"],
                                                             *stop["member_ids"])],
            family_cards=[stop["family_card_id"] for stop in data["stops"]],
            action=CardAccess.Action.ROUTE, channel=CardAccess.Channel.API)
        if not sees_reading(request.user):
            data = without_books(data)
        return data, options.validated_data.get("language") or data["volunteer"]["language"]


# The plan's route sheets page shows each sheet in a frame: our own pages may frame it.
@method_decorator(xframe_options_sameorigin, name="dispatch")
@method_decorator(csp_replace({"frame-ancestors": "'self'"}), name="dispatch")
class RouteSheetPdfApi(RoutePrintoutApi):
    @extend_schema(
        operation_id="routes_sheet_pdf",
        summary="Route sheet (PDF)",
        description="The route sheet for the volunteer, on portrait A4 in their language "
                    "(six stops fit on one page): the header once, the route drawn, then a "
                    "row per stop in order with its window and expected time (in the "
                    "branch's zone), address and access notes, the phone to call ahead, what "
                    "to hand over and what to collect. Printed by "
                    "a librarian it names the books; printed by a coordinator it says how "
                    "many items and when each is due, not which books.",
        parameters=[PrintoutFilterSerializer],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                      description="The sheet"),
            **errors(400, 401, 403, 404),
        },
    )
    def get(self, request, pk: int):
        data, language = self.sheet_data(request, pk)
        pdf = render_route_sheet_pdf(data, language)
        volunteer = data["volunteer"]
        name = slugify(volunteer["name"], allow_unicode=True) or slugify(volunteer["username"])
        filename = f"route-{data['date']:%Y-%m-%d}-{name or volunteer['id']}.pdf"
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, filename)
        response["Content-Language"] = language
        # Names, addresses and phones: never kept by a shared cache.
        response["Cache-Control"] = "private, no-store"
        return response


class RouteMapSvgApi(RoutePrintoutApi):
    @extend_schema(
        operation_id="routes_map_svg",
        summary="Route picture (SVG)",
        description="The route drawn without map tiles: the branch as a square, numbered "
                    "stops joined in order, a scale bar in km and a north arrow. Stops "
                    "without coordinates are listed under the picture.",
        parameters=[PrintoutFilterSerializer],
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR,
                                                    description="The picture"),
            **errors(400, 401, 403, 404),
        },
    )
    def get(self, request, pk: int):
        data, language = self.sheet_data(request, pk)
        svg = render_route_svg(data, language)
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Content-Language"] = language
        response["Cache-Control"] = "private, no-store"
        return response


@method_decorator(xframe_options_sameorigin, name="dispatch")
@method_decorator(csp_replace({"frame-ancestors": "'self'"}), name="dispatch")
class PlanSheetsPdfApi(RoutePrintoutApi):
    @extend_schema(
        operation_id="plans_sheets_pdf",
        summary="The day's print pack (PDF)",
        description="One PDF for the whole day: per volunteer a compact route sheet on "
                    "portrait A4 (the header once, the route picture, a row per stop with "
                    "window, expected time, reader, phone, address and access notes, what to "
                    "hand over and collect), then a summary page: each volunteer's stops, "
                    "times and distance, the totals, and the stops left out with why. Times "
                    "are in the branch's zone. Each sheet is in its volunteer's language "
                    "unless `language` is given. A coordinator's pack counts the items and "
                    "gives due dates but names no books, as the single sheet does.",
        parameters=[PrintoutFilterSerializer],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                      description="The pack"),
            **errors(400, 401, 403, 404),
        },
    )
    def get(self, request, pk: int):
        plan = get_object_or_404(DayPlan.objects.select_related("branch"), pk=pk)
        options = PrintoutFilterSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        language = options.validated_data.get("language")
        pack = plan_pack_data(plan, books=sees_reading(request.user))
        readers, families = pack_reader_ids(pack)
        card_access_record(request=request, readers=readers, family_cards=families,
                           action=CardAccess.Action.ROUTE, channel=CardAccess.Channel.API)
        pdf = render_print_pack_pdf(pack, language)
        filename = f"routes-{plan.date:%Y-%m-%d}-{slugify(plan.branch.code) or plan.branch_id}.pdf"
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, filename)
        response["Content-Language"] = language or translation.get_language()
        response["Cache-Control"] = "private, no-store"
        return response


# The library's figures ----------------------------------------------------------------------

ReportPermission = roles_allowed(read=(Role.LIBRARIAN, Role.COORDINATOR))


class SummaryInputSerializer(serializers.Serializer):
    """Which figures: a branch (none: the whole district) and a calendar period."""

    branch = serializers.PrimaryKeyRelatedField(
        queryset=Branch.objects.all(), required=False, allow_null=True,
        help_text=_("Branch id; leave out for the whole district."),
    )
    period = serializers.ChoiceField(
        choices=[(kind, kind) for kind in PERIOD_KINDS], default="month",
        help_text=_("month, quarter or year"),
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False,
                                    help_text=_("Default: the last complete period."))
    number = serializers.IntegerField(min_value=1, max_value=12, required=False,
                                      help_text=_("Month 1–12 or quarter 1–4; ignored for a "
                                                  "year."))
    live = serializers.BooleanField(
        default=False,
        help_text=_("Count the figures now instead of reading those stored at night."))

    def validate(self, attrs):
        kind = attrs.get("period", "month")
        if "year" not in attrs:
            attrs["year"], default_number = default_period(kind)
            attrs.setdefault("number", default_number)
        attrs.setdefault("number", 1)
        if kind == "quarter" and attrs["number"] > 4:
            raise serializers.ValidationError({"number": [_("A quarter is 1 to 4.")]})
        if kind == "year":
            attrs["number"] = 1
        return attrs


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """An int stays an int (counts), a float stays a float (hours)."""

    def to_representation(self, value):
        return value


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    year = serializers.IntegerField()
    number = serializers.IntegerField()
    label = serializers.CharField(help_text="In the language of the request")
    first_day = serializers.DateField()
    last_day = serializers.DateField()


class BranchRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="Stable: readers.served, visits.failed.not_home, volunteer.<id>.hours, …")
    group = serializers.CharField(help_text="readers, categories, visits, failures, items, "
                                            "family_cards, volunteers")
    label = serializers.CharField(help_text="In the language of the request")
    value = NumberField(help_text="This period")
    previous = NumberField(help_text="The period before")
    change = NumberField(help_text="value − previous")
    help = serializers.CharField(help_text="How the figure is counted")


class SourceSerializer(serializers.Serializer):
    stored = serializers.BooleanField(
        help_text="The figures were counted at night and stored, not counted for this answer")
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="The period is still open and its figures were counted at this moment: "
                  "what happened since is not in them. Null when the figures are complete "
                  "(the period had ended when they were counted, or they were counted now)")


class SourcesSerializer(serializers.Serializer):
    current = SourceSerializer(help_text="This period")
    previous = SourceSerializer(help_text="The period before")


class SummaryOutputSerializer(serializers.Serializer):
    branch = BranchRefSerializer(allow_null=True)
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    sources = SourcesSerializer(
        help_text="Where each period's figures come from: stored at night or counted live")
    figures = FigureSerializer(many=True, source="rows")


def summary_for(request) -> dict:
    params = SummaryInputSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    return summary(data.get("branch"), data["period"], data["year"], data["number"],
                   live=data["live"])


def summary_table(data: dict) -> tuple[list[str], list[list]]:
    """The head and the rows of an export: figure, this period, previous period, change."""
    this, before = _("This period"), _("Previous period")
    # An open period shown from the night's figures says so in the file too.
    named = " — ".join(p for p in (data["period"]["label"], as_of_text(data)) if p)
    head = [
        str(_("Figure")),
        f"{this} ({named})",
        f"{before} ({data['previous_period']['label']})",
        str(pgettext_lazy("difference", "Change")),
    ]
    return head, [[row["label"], row["value"], row["previous"], row["change"]]
                  for row in data["rows"]]


def summary_filename(data: dict, extension: str) -> str:
    period = data["period"]
    name = f"report-{period['kind']}-{period['year']}"
    if period["kind"] != "year":
        name += f"-{period['number']:02d}"
    if data["branch"]:
        branch = Branch.objects.filter(pk=data["branch"]["id"]).values_list("code", flat=True)
        name += f"-{slugify(branch.first() or data['branch']['id'])}"
    return f"{name}.{extension}"


def _file_response(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Language"] = translation.get_language()
    response["Cache-Control"] = "private, no-store"
    return response


def render_summary_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    head, rows = summary_table(data)
    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Report"))[:31]
    # Labels carry volunteers' names: text cells, never formulas (see core/tabular.py).
    sheet.append(xlsx_row(sheet, head))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    sheet.column_dimensions["A"].width = 48
    for column in "BCD":
        sheet.column_dimensions[column].width = 24
    sheet.freeze_panes = "A2"
    book.properties.title = " — ".join(
        p for p in (str(_("Report")), data["period"]["label"],
                    data["branch"]["name"] if data["branch"] else "") if p)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_summary_csv(data: dict) -> bytes:
    """`;`-separated with a BOM and decimal commas: what Excel opens right in ru and kk."""
    head, rows = summary_table(data)
    buffer = StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_row(head))
    for row in rows:
        writer.writerow(csv_row(row, number=format_number))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


SUMMARY_DESCRIPTION = (
    "The library's figures for a month, a quarter or a year, for one branch or the whole "
    "district, with the period before and the change: readers served (new, active, by "
    "category), visits made and failed (by reason), items delivered and returned (by "
    "channel), family cards served, deliveries and hours per volunteer. Each figure carries "
    "its definition in `help`. The figures of recent periods are counted at night and "
    "stored: a closed period's are final; a period still open is shown as counted last "
    "night, and `sources.current.as_of` says when (`live=true` counts them now, which takes "
    "seconds for a year of a large library). Librarians and coordinators."
)


class SummaryApi(APIView):
    permission_classes = [ReportPermission]

    @extend_schema(
        operation_id="reports_summary",
        summary="Report figures",
        description=SUMMARY_DESCRIPTION,
        parameters=[SummaryInputSerializer],
        responses={200: SummaryOutputSerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        return Response(SummaryOutputSerializer(summary_for(request)).data)


class SummaryXlsxApi(APIView):
    permission_classes = [ReportPermission]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    @extend_schema(
        operation_id="reports_summary_xlsx",
        summary="Report figures (XLSX)",
        description="The same figures as `reports_summary`, one row per figure: figure, this "
                    "period, previous period, change.",
        parameters=[SummaryInputSerializer],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The workbook"),
            **errors(400, 401, 403),
        },
    )
    def get(self, request):
        data = summary_for(request)
        return _file_response(render_summary_xlsx(data), XLSX, summary_filename(data, "xlsx"))


class SummaryCsvApi(APIView):
    permission_classes = [ReportPermission]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly

    @extend_schema(
        operation_id="reports_summary_csv",
        summary="Report figures (CSV)",
        description="The same figures as `reports_summary` as CSV for Excel: UTF-8 with a "
                    "BOM, `;` between columns, decimal commas in Russian and Kazakh.",
        parameters=[SummaryInputSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The table"),
            **errors(400, 401, 403),
        },
    )
    def get(self, request):
        data = summary_for(request)
        return _file_response(render_summary_csv(data), "text/csv; charset=utf-8",
                              summary_filename(data, "csv"))
