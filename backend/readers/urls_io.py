"""Import and export of reader cards. Included before readers/<int:pk>/ has no clash."""
from django.urls import path

from backend.readers import apis_io

urlpatterns = [
    path("readers/import/", apis_io.ReaderImportApi.as_view(), name="readers-import"),
    path(
        "readers/import/template/",
        apis_io.ReaderImportTemplateApi.as_view(),
        name="readers-import-template",
    ),
    path("readers/export/", apis_io.ReaderExportApi.as_view(), name="readers-export"),
]
