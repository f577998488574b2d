"""The reports page, included by the project as `path("reports/", ...)`."""
from django.urls import path

from backend.reports import views

urlpatterns = [
    path("", views.SummaryPage.as_view(), name="reports-summary"),
]
