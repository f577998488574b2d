"""Pages under /plan/ (included by the project as path("plan/", include(...)))."""
from django.urls import path

from backend.routing import views

urlpatterns = [
    path("", views.PlanDayView.as_view(), name="plan-day"),
    path("<int:plan_id>/sheets/", views.PlanSheetsView.as_view(), name="plan-sheets"),
]
