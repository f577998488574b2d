"""Staff sign-in: JWT access and refresh tokens, throttled and locked out after failures."""
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView

from backend.accounts import signin
from backend.accounts.lockout import LockedOut
from backend.accounts.serializers import RefreshInputSerializer, TokensSerializer
from backend.accounts.tokens import StaffRefreshToken, TokenEndpointMixin, token_refresh
from backend.core.roles import user_roles
from backend.core.schema import errors


class StaffTokenObtainSerializer(TokenObtainPairSerializer):
    token_class = StaffRefreshToken


class TokenObtainApi(TokenObtainPairView):
    """`{"username", "password"}` -> `{"access", "refresh"}`: tokens of the staff API."""

    serializer_class = StaffTokenObtainSerializer
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(operation_id="auth_token",
                   responses={200: TokensSerializer, **errors(400, 401, 429)})
    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        username = username if isinstance(username, str) else ""
        signin.check(request, username)
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            signin.failed(request, username)
            raise
        signin.succeeded(username)
        return response

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, LockedOut) and response is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response


class TokenRefreshApi(TokenEndpointMixin, GenericAPIView):
    """`{"refresh"}` -> `{"access", "refresh"}`. The refresh token works once: the answer
    holds its successor (backend/accounts/tokens.py)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    serializer_class = RefreshInputSerializer

    @extend_schema(operation_id="auth_token_refresh", request=RefreshInputSerializer,
                   responses={200: TokensSerializer, **errors(400, 401, 429)})
    def post(self, request, *args, **kwargs):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(token_refresh(raw=data.validated_data["refresh"],
                                      token_class=StaffRefreshToken))


class MeApi(GenericAPIView):
    """Who am I: the signed-in user's name, roles and branch."""

    permission_classes = [IsAuthenticated]

    class MeOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        full_name = serializers.CharField(source="get_full_name")
        roles = serializers.ListField(child=serializers.CharField())
        is_superuser = serializers.BooleanField()
        branch = serializers.IntegerField(source="branch_id", allow_null=True)
        language = serializers.CharField()

    serializer_class = MeOutputSerializer

    @extend_schema(operation_id="auth_me", responses={200: MeOutputSerializer, **errors(401)})
    def get(self, request):
        user = request.user
        user.roles = sorted(user_roles(user))
        return Response(self.MeOutputSerializer(user).data)
