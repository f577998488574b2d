"""The volunteers' app, mounted at /app/: one shell page, its manifest, its service worker
(served from here so that its scope is /app/) and its texts."""
from django.urls import path

from volunteer_app import views

app_name = "volunteer_app"

urlpatterns = [
    path("", views.shell, name="shell"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
    path("jsi18n/", views.AppCatalog.as_view(), name="jsi18n"),
]
