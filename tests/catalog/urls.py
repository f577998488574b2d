"""The project's URLs with the catalog API under /api/v1/ (until config/urls.py includes it)."""
from django.urls import include, path

from backend.config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("backend.catalog.urls")),
    *project_urlpatterns,
]
