from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend.accounts.signin import StaffAdminAuthenticationForm, StaffAuthenticationForm
from backend.core.views import health
from backend.core.web import home

api_v1 = [
    path("", include("backend.accounts.urls")),
    path("", include("backend.branches.urls")),
    path("", include("backend.readers.urls_io")),
    path("", include("backend.readers.urls_plans")),
    path("", include("backend.readers.urls")),
    path("", include("backend.catalog.urls")),
    path("", include("backend.orders.urls")),
    path("", include("backend.circulation.urls")),
    path("", include("backend.volunteers.urls")),
    path("", include("backend.routing.urls")),
    path("", include("backend.reports.urls")),
    path("", include("backend.notifications.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    # Every sign-in form counts failures and locks out (backend/accounts/signin.py).
    path("accounts/login/", LoginView.as_view(authentication_form=StaffAuthenticationForm),
         name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("desk/", include("backend.orders.urls_pages")),
    path("plan/", include("backend.routing.urls_pages")),
    path("reports/", include("backend.reports.urls_pages")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),
    path("api/v1/", include(api_v1)),
    path("api/mobile/v1/", include("mobile_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar; its start script is served by the same view
    # (?script) so the page has no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="api/swagger_ui.html"), name="swagger-ui"),
]

admin.site.login_form = StaffAdminAuthenticationForm

handler404 = "backend.core.views.not_found"
handler500 = "backend.core.views.server_failure"
