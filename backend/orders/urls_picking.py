"""The pick list page, included at /picking/."""
from django.urls import path

from backend.orders import views_picking as views

app_name = "picking"

urlpatterns = [
    path("", views.PickingView.as_view(), name="page"),
    path("pdf/", views.PickListPdfView.as_view(), name="pdf"),
    path("scan/", views.ScanView.as_view(), name="scan"),
    path("lines/<int:pk>/assign/", views.LineAssignView.as_view(), name="assign"),
    path("lines/<int:pk>/substitute/", views.LineSubstituteView.as_view(), name="substitute"),
    path("lines/<int:pk>/cancel/", views.LineCancelView.as_view(), name="cancel"),
    path("orders/<int:pk>/ready/", views.OrderReadyView.as_view(), name="ready"),
]
