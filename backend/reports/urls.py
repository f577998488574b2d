from django.urls import path

from backend.reports import apis

urlpatterns = [
    path("routes/<int:pk>/sheet.pdf", apis.RouteSheetPdfApi.as_view(), name="route-sheet-pdf"),
    path("plans/<int:pk>/sheets.pdf", apis.PlanSheetsPdfApi.as_view(), name="plan-sheets-pdf"),
    path("routes/<int:pk>/map.svg", apis.RouteMapSvgApi.as_view(), name="route-map-svg"),
    path("reports/summary/", apis.SummaryApi.as_view(), name="report-summary"),
    path("reports/summary.xlsx", apis.SummaryXlsxApi.as_view(), name="report-summary-xlsx"),
    path("reports/summary.csv", apis.SummaryCsvApi.as_view(), name="report-summary-csv"),
]
