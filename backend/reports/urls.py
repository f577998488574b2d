from django.urls import path

from backend.reports import apis

urlpatterns = [
    path("routes/<int:pk>/sheet.pdf", apis.RouteSheetPdfApi.as_view(), name="route-sheet-pdf"),
    path("routes/<int:pk>/map.svg", apis.RouteMapSvgApi.as_view(), name="route-map-svg"),
]
