"""Printouts for staff: a route's sheet (PDF) and picture (SVG).

Volunteers get their own sheet through the mobile API, from the same functions.
"""
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from backend.core.permissions import roles_allowed
from backend.core.roles import Role
from backend.core.schema import errors
from backend.reports.route_map import render_route_svg
from backend.reports.route_sheet import (
    SHEET_LANGUAGES,
    render_route_sheet_pdf,
    route_sheet_data,
    routes_for_sheet,
)

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
        return data, options.validated_data.get("language") or data["volunteer"]["language"]


class RouteSheetPdfApi(RoutePrintoutApi):
    @extend_schema(
        operation_id="routes_sheet_pdf",
        summary="Route sheet (PDF)",
        description="The route sheet for the volunteer, on A4 in their language: stops in "
                    "order with windows and expected times, addresses and access notes, the "
                    "phone to call ahead, what to hand over and what to collect.",
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
