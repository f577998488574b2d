"""The project's URLs, with the volunteers' API mounted if backend/config/urls.py does not
mount it yet (it is wired in separately); once it does, this is the project's urlconf as is."""
from django.urls import include, path

from backend.config import urls as project

VOLUNTEERS = "backend.volunteers.urls"


def _mounted() -> bool:
    return any(getattr(getattr(p, "urlconf_name", None), "__name__", None) == VOLUNTEERS
               for p in project.api_v1)


urlpatterns = list(project.urlpatterns)
if not _mounted():
    urlpatterns.insert(0, path("api/v1/", include(VOLUNTEERS)))

handler404 = project.handler404
handler500 = project.handler500
