"""The project's URLs plus the messaging app, for tests until config/urls.py includes it."""
from django.urls import include, path

from backend.config.urls import handler404, handler500
from backend.config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("backend.notifications.urls")),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
