from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend.accounts.signin import StaffAdminAuthenticationForm, StaffAuthenticationForm
from backend.core.views import PageCatalog, health, health_ready
from backend.core.web import home

api_v1 = [
    path("", include("backend.accounts.urls")),
    path("", include("backend.branches.urls")),
    path("", include("backend.readers.urls_io")),
    path("", include("backend.plans.urls")),
    path("", include("backend.readers.urls")),
    path("", include("backend.catalog.urls")),
    path("", include("backend.orders.urls")),
    path("", include("backend.circulation.urls")),
    path("", include("backend.volunteers.urls")),
    path("", include("backend.routing.urls")),
    path("", include("backend.reports.urls")),
    path("", include("backend.notifications.urls")),
    path("", include("backend.orders.urls_inbox")),
]

urlpatterns = [
    path("", home, name="home"),
    # Every sign-in form counts failures and locks out (backend/accounts/signin.py).
    path("accounts/login/",
         auth_views.LoginView.as_view(authentication_form=StaffAuthenticationForm),
         name="login"),
    # Only sign-out and password change: there is no password reset by e-mail (no mail is
    # configured; a librarian or the administrator sets a new password in the admin).
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("admin/", admin.site.urls),
    path("desk/", include("backend.orders.urls_pages")),
    path("picking/", include("backend.orders.urls_picking")),
    path("plan/", include("backend.routing.urls_pages")),
    path("reports/", include("backend.reports.urls_pages")),
    # The texts of the pages' scripts, with the language's plural rules.
    path("i18n/js/", PageCatalog.as_view(), name="javascript-catalog"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Liveness (the database answers) and readiness (it takes a write): docs/deploy.md.
    path("health/", health, name="health"),
    path("health/ready/", health_ready, name="health-ready"),
    # The audio of calls in Kazakh, fetched by Twilio (backend/notifications/voice.py).
    path("media/voice/", include("backend.notifications.urls_voice")),
    path("api/v1/", include(api_v1)),
    path("api/mobile/v1/", include("mobile_api.urls")),
    # The volunteers' app: one shell page, its manifest, service worker and texts.
    path("app/", include("volunteer_app.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar; its start script is served by the same view
    # (?script) so the page has no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="api/swagger_ui.html"), name="swagger-ui"),
]

admin.site.login_form = StaffAdminAuthenticationForm

handler400 = "backend.core.views.request_refused"
handler403 = "backend.core.views.forbidden"
handler404 = "backend.core.views.not_found"
handler500 = "backend.core.views.server_failure"
