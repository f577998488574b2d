"""The volunteers' mobile API, mounted at /api/mobile/v1/ (see docs/mobile_api.md)."""
from django.urls import path

from mobile_api import apis

app_name = "mobile"

urlpatterns = [
    path("auth/token/", apis.PasswordSignInApi.as_view(), name="auth-token"),
    path("auth/refresh/", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/sign-out/", apis.SignOutApi.as_view(), name="auth-sign-out"),
    path("auth/otp/request/", apis.OtpRequestApi.as_view(), name="auth-otp-request"),
    path("auth/otp/verify/", apis.OtpVerifyApi.as_view(), name="auth-otp-verify"),
    path("auth/link/", apis.LinkSignInApi.as_view(), name="auth-link"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/availability/", apis.AvailabilityApi.as_view(), name="availability"),
    path("me/routes/", apis.MyRoutesApi.as_view(), name="my-routes"),
    path("routes/<int:pk>/", apis.RouteDetailApi.as_view(), name="route"),
    path("routes/<int:pk>/start/", apis.RouteStartApi.as_view(), name="route-start"),
    path("routes/<int:pk>/finish/", apis.RouteFinishApi.as_view(), name="route-finish"),
    path("stops/<int:pk>/arrive/", apis.StopArriveApi.as_view(), name="stop-arrive"),
    path("stops/<int:pk>/complete/", apis.StopCompleteApi.as_view(), name="stop-complete"),
    path("stops/<int:pk>/fail/", apis.StopFailApi.as_view(), name="stop-fail"),
    path("stops/<int:pk>/concern/", apis.StopConcernApi.as_view(), name="stop-concern"),
    path("sync/", apis.SyncApi.as_view(), name="sync"),
    path("changes/", apis.ChangesApi.as_view(), name="changes"),
]
