"""The project's URLs plus the reports page, for tests until config/urls.py includes it."""
from django.urls import include, path

from backend.config.urls import handler404, handler500
from backend.config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("reports/", include("backend.reports.urls_pages")),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
