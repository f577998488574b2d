"""The project's URLs with the phone desk pages, until the project includes them itself."""
from django.urls import include, path

from backend.config.urls import handler404, handler500  # noqa: F401
from backend.config.urls import urlpatterns as project

urlpatterns = [*project]
if not any(getattr(p, "pattern", None) and str(p.pattern) == "desk/" for p in project):
    urlpatterns.append(path("desk/", include("backend.orders.urls_pages")))
