"""The project's URLs plus the /plan/ pages, for tests run before the project includes them."""
from django.urls import include, path

from backend.config.urls import handler404, handler500
from backend.config.urls import urlpatterns as project_urls

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [path("plan/", include("backend.routing.urls_pages")), *project_urls]
