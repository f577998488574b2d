"""The volunteers' mobile API (/api/mobile/v1/). Thin views: sign-in in mobile_api.auth,
reads in mobile_api.selectors, every change through backend services (mobile_api.actions)."""
from __future__ import annotations

import datetime
import json

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from backend.accounts.lockout import LockedOut
from backend.accounts.serializers import RefreshInputSerializer, TokensSerializer
from backend.accounts.tokens import AppJWTAuthentication, TokenEndpointMixin
from backend.branches.middleware import activate_branch_zone
from backend.core import dates
from backend.core.exceptions import ApplicationError, error_body, validation_payload
from backend.core.schema import ErrorSerializer, errors
from backend.core.serializers import BoundedDateField
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record
from backend.volunteers import services as volunteer_services
from backend.volunteers.selectors import volunteer_calendar, volunteer_queryset
from mobile_api import actions, auth, route_cache, selectors
from mobile_api import serializers as s
from mobile_api.idempotency import HEADER, Answer, check_key, run_once
from mobile_api.permissions import IsVolunteer
from mobile_api.throttles import SignInIpThrottle, SignInPhoneThrottle

TAG = ["mobile"]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="A new unique key (a UUID) per action. The same key with the same body "
                "answers the first answer again and changes nothing (header "
                "Idempotent-Replayed: true); with another body it is refused (422 "
                "idempotency.key_reused).",
)


class MobileApi(GenericAPIView):
    """Base of every mobile endpoint: a volunteer's JWT, nothing else."""

    authentication_classes = [AppJWTAuthentication]
    permission_classes = [IsVolunteer]
    pagination_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The token is read here, not in the middleware: the volunteer's home branch sets
        # the zone the route's times are written in (the app shows them as written).
        activate_branch_zone(request.user)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, (LockedOut, auth.CodeRateLimited)) and response is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response


def answer_response(answer: Answer) -> Response:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return Response(answer.body, status=answer.status, headers=headers)


# Signing in ---------------------------------------------------------------------------------------


class _SignInApi(MobileApi):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInIpThrottle, SignInPhoneThrottle]


SIGN_IN_ERRORS = {
    **errors(400),
    401: OpenApiResponse(ErrorSerializer, description=(
        "auth.invalid_credentials (password) or auth.invalid_code (code): the same answer "
        "whether or not the phone exists.")),
    429: OpenApiResponse(ErrorSerializer, description=(
        "auth.locked after repeated failures (Retry-After: seconds), or throttled.")),
}
TOKENS_EXAMPLE = OpenApiExample("Tokens", response_only=True, value={
    "access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.x",
    "refresh": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.y",
})


class PasswordSignInApi(_SignInApi):
    """Sign in with phone and password."""

    @extend_schema(
        tags=TAG, operation_id="mobile_auth_token", request=s.PasswordSignInSerializer,
        responses={200: TokensSerializer, **SIGN_IN_ERRORS},
        examples=[OpenApiExample("Sign in", request_only=True,
                                 value={"phone": "8 701 555 12 34", "password": "kniga03-demo"}),
                  TOKENS_EXAMPLE,
                  OpenApiExample("Wrong phone or password", response_only=True,
                                 status_codes=["401"],
                                 value={"code": "auth.invalid_credentials",
                                        "message": "Wrong phone number or password.",
                                        "fields": {}})],
    )
    def post(self, request):
        data = s.PasswordSignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(auth.password_sign_in(**data.validated_data))


class RefreshApi(TokenEndpointMixin, GenericAPIView):
    """A new pair of tokens for a refresh token of the app, which then stops working."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInIpThrottle]
    serializer_class = RefreshInputSerializer

    @extend_schema(tags=TAG, operation_id="mobile_auth_refresh", request=RefreshInputSerializer,
                   responses={200: TokensSerializer, **errors(400, 401, 429)},
                   examples=[OpenApiExample("Refresh", request_only=True,
                                            value={"refresh": "eyJhbGciOi..."}),
                             TOKENS_EXAMPLE])
    def post(self, request, *args, **kwargs):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(auth.refresh(refresh=data.validated_data["refresh"]))


class SignOutApi(TokenEndpointMixin, GenericAPIView):
    """Sign out: the refresh token stops working (the access token lapses on its own)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInIpThrottle]
    serializer_class = RefreshInputSerializer

    @extend_schema(tags=TAG, operation_id="mobile_auth_sign_out", request=RefreshInputSerializer,
                   responses={204: None, **errors(400, 401, 429)})
    def post(self, request, *args, **kwargs):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        auth.sign_out(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class OtpRequestApi(_SignInApi):
    """Ask for a one-time sign-in code by SMS. The answer is the same for any phone."""

    @extend_schema(
        tags=TAG, operation_id="mobile_auth_otp_request", request=s.OtpRequestSerializer,
        responses={200: s.OtpRequestedSerializer, **errors(400, 429)},
        examples=[OpenApiExample("Ask for a code", request_only=True,
                                 value={"phone": "+77015551234"}),
                  OpenApiExample("Always this answer", response_only=True, value={
                      "detail": "If this number belongs to a volunteer, a code is on its way.",
                      "expires_in": 300})],
    )
    def post(self, request):
        data = s.OtpRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        auth.otp_request(phone=data.validated_data["phone"])
        return Response({
            "detail": _("If this number belongs to a volunteer, a code is on its way."),
            "expires_in": auth.otp_seconds(),
        })


class OtpVerifyApi(_SignInApi):
    """Sign in with the code from the SMS."""

    @extend_schema(
        tags=TAG, operation_id="mobile_auth_otp_verify", request=s.OtpVerifySerializer,
        responses={200: TokensSerializer, **SIGN_IN_ERRORS},
        examples=[OpenApiExample("Verify", request_only=True,
                                 value={"phone": "+77015551234", "code": "482913"}),
                  TOKENS_EXAMPLE],
    )
    def post(self, request):
        data = s.OtpVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(auth.otp_verify(**data.validated_data))


class LinkSignInApi(_SignInApi):
    """Sign in with the one-tap link of the "your route is published" SMS
    ({APP_BASE_URL}/app/#link=<token>): it works once and for a few hours."""

    throttle_classes = [SignInIpThrottle]

    @extend_schema(
        tags=TAG, operation_id="mobile_auth_link", request=s.LinkSignInSerializer,
        responses={200: TokensSerializer, **errors(400, 429),
                   401: OpenApiResponse(ErrorSerializer, description=(
                       "auth.link_invalid: used, expired, unknown, or the volunteer is no "
                       "longer active. Ask for a code instead."))},
        examples=[OpenApiExample("Link", request_only=True,
                                 value={"token": "q3Jx0m2kTq9b6oVt1bC8w5sY3d7fH1aE"}),
                  TOKENS_EXAMPLE,
                  OpenApiExample("Used or expired", response_only=True, status_codes=["401"],
                                 value={"code": "auth.link_invalid",
                                        "message": "This sign-in link has been used or has "
                                                   "expired. Ask for a code instead.",
                                        "fields": {}})],
    )
    def post(self, request):
        data = s.LinkSignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(auth.link_sign_in(token=data.validated_data["token"]))


# The volunteer ------------------------------------------------------------------------------------


class MeApi(MobileApi):
    """The signed-in volunteer: profile, branch, languages."""

    @extend_schema(tags=TAG, operation_id="mobile_me", responses={200: s.MeSerializer,
                                                                   **errors(401, 403)})
    def get(self, request):
        return Response(s.MeSerializer(request.volunteer).data)


class AvailabilityApi(MobileApi):
    """Shifts and absences: see them, add an absence (ill, away) or a shift."""

    @extend_schema(tags=TAG, operation_id="mobile_availability",
                   responses={200: s.AvailabilitySerializer, **errors(401, 403)})
    def get(self, request):
        volunteer = volunteer_queryset().get(pk=request.volunteer.pk)
        today = volunteer.branch.today()
        days = [{"date": d["date"], "absent": d["absence"] is not None,
                 "windows": [{"start": a, "end": b} for a, b in d["windows"]]}
                for d in volunteer_calendar(volunteer, today, today + datetime.timedelta(days=13))]
        return Response(s.AvailabilitySerializer({
            "shifts": volunteer.shifts.all(), "absences": volunteer.absences.all(), "days": days,
        }).data)

    @extend_schema(
        tags=TAG, operation_id="mobile_availability_add", parameters=[IDEMPOTENCY_PARAMETER],
        request=s.AvailabilityInputSerializer,
        responses={201: s.AvailabilityCreatedSerializer, **errors(400, 401, 403, 409, 422)},
        examples=[
            OpenApiExample("Absence", request_only=True, value={
                "kind": "absence", "starts_on": "2026-12-07", "ends_on": "2026-12-09",
                "reason": "Ill"}),
            OpenApiExample("Shift", request_only=True, value={
                "kind": "shift", "rrule": "FREQ=WEEKLY;BYDAY=SA", "starts_on": "2026-12-05",
                "start_time": "10:00", "end_time": "14:00"}),
        ],
    )
    def post(self, request):
        key = check_key(request.headers.get(HEADER))
        volunteer, user = request.volunteer, request.user

        def add():
            data = s.AvailabilityInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            if v["kind"] == "absence":
                absence = volunteer_services.absence_add(
                    volunteer=volunteer, starts_on=v["starts_on"], ends_on=v["ends_on"],
                    reason=v.get("reason", ""), by=user)
                body = {"kind": "absence", "absence": absence}
            else:
                shift = volunteer_services.shift_add(
                    volunteer=volunteer, rrule=v["rrule"], starts_on=v.get("starts_on"),
                    ends_on=v.get("ends_on"), start_time=v["start_time"],
                    end_time=v["end_time"], by=user)
                body = {"kind": "shift", "shift": shift}
            return status.HTTP_201_CREATED, s.AvailabilityCreatedSerializer(body).data

        return answer_response(run_once(user=user, key=key, method="POST", path=request.path,
                                        body=request.data, action=add))


# Routes -------------------------------------------------------------------------------------------


class MyRoutesFilterSerializer(serializers.Serializer):
    date = BoundedDateField(bounds=dates.PLAN_DAY, required=False,
                            help_text="YYYY-MM-DD; today in the branch's time zone by default")


class MyRoutesApi(MobileApi):
    """The volunteer's published routes on a day (today in the branch's time zone)."""

    @extend_schema(
        tags=TAG, operation_id="mobile_my_routes", parameters=[MyRoutesFilterSerializer],
        responses={200: s.RouteListSerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        volunteer = request.volunteer
        filters = MyRoutesFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        day = filters.validated_data.get("date") or volunteer.branch.today()
        routes = selectors.routes_on(volunteer, day)
        return Response(s.RouteListSerializer({"date": day, "routes": routes}).data)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class RenderedJsonResponse(Response):
    """An answer whose body is already JSON as the JSON renderer writes it by default: sent
    as it is when that renderer is chosen with no indent asked; any other (the browsable
    API, `; indent=`) renders the body read back, as for any answer."""

    def __init__(self, content: bytes, **kwargs) -> None:
        super().__init__(None, **kwargs)
        self.json_content = content

    @property
    def rendered_content(self):
        renderer = getattr(self, "accepted_renderer", None)
        if (type(renderer) is JSONRenderer and self.content_type is None
                and renderer.get_indent(self.accepted_media_type,
                                        self.renderer_context) is None):
            self["Content-Type"] = renderer.media_type  # the renderer has no charset
            return self.json_content
        self.data = json.loads(self.json_content)
        return super().rendered_content


class RouteDetailApi(MobileApi):
    """The route with its stops in order. Send the ETag back in If-None-Match: 304 when
    nothing changed."""

    @extend_schema(
        tags=TAG, operation_id="mobile_route",
        parameters=[OpenApiParameter("If-None-Match", OpenApiTypes.STR,
                                     OpenApiParameter.HEADER,
                                     description="The ETag of the copy the app has")],
        responses={200: s.RouteSerializer, 304: OpenApiResponse(description="Not modified"),
                   **errors(401, 403, 404)},
    )
    def get(self, request, pk: int):
        route = selectors.own_route(request.volunteer, pk)  # 404 unless theirs: before the cache
        now = timezone.now()
        visible = selectors.details_visible(route, now)

        content, etag, (readers, families) = route_cache.cached_answer(
            route, visible=visible,
            build=lambda: route_cache.answer_and_cards(route, visible=visible, now=now))
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if _matches(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        # The readers' names, addresses and phones are sent: the card access log names them
        # (nothing is sent again with a 304, nor while the details are hidden).
        card_access_record(request=request, action=CardAccess.Action.ROUTE,
                           channel=CardAccess.Channel.API, readers=readers,
                           family_cards=families)
        return RenderedJsonResponse(content, headers=headers)


# Actions ------------------------------------------------------------------------------------------


ACTION_ERRORS = errors(400, 401, 403, 404, 409, 422)
DAY_RULE = (" Only on the route's day (409 route.not_today before it; a late sync of a past "
            "day is taken); a happened_at before the route's day is refused (400, field "
            "happened_at).")
ACTION_DESCRIPTIONS = {
    "start": "Set out. Starting twice is harmless. 409 route.finished.",
    "finish": "The day is over; stops not visited go back to be planned again. "
              "409 route.not_started, route.finished.",
    "arrive": "At the door (the first door starts the route). 409 stop.already_completed, "
              "stop.already_failed, stop.cancelled, stop.not_on_your_route, route.finished.",
    "complete": "What was handed over and taken back: loans start, returns are recorded. "
                "400 stop.unknown_barcode; 409 stop.already_completed, loan.not_on_loan, "
                "stop.not_on_your_route, route.finished.",
    "fail": "Not done: the order goes back to be planned again and the coordinator sees why. "
            "409 stop.already_completed, stop.already_failed, stop.not_on_your_route.",
}
ACTION_EXAMPLES = {
    "complete": [OpenApiExample("Two copies handed over, one taken back", request_only=True,
                                value={"delivered": ["KZ-0001234", "KZ-0001235"],
                                       "collected": ["KZ-0000977"], "note": ""})],
    "fail": [OpenApiExample("Nobody at home", request_only=True,
                            value={"reason": "not_home", "note": "Called twice, no answer"})],
}
ACTION_DESCRIPTIONS = {kind: text + DAY_RULE for kind, text in ACTION_DESCRIPTIONS.items()}
ACTION_RESULT_EXAMPLE = OpenApiExample("Done", response_only=True, value={
    "action": "complete",
    "route": {"id": 12, "status": "started", "version": 7,
              "started_at": "2026-11-25T09:02:11+05:00", "finished_at": None},
    "stop": {"id": 301, "status": "completed", "arrived_at": "2026-11-25T09:40:00+05:00",
             "completed_at": "2026-11-25T09:48:00+05:00", "fail_reason": "", "note": ""},
    "loans": [{"barcode": "KZ-0001234", "due_date": "2026-12-25"},
              {"barcode": "KZ-0001235", "due_date": "2026-12-25"}],
    "returns": [{"barcode": "KZ-0000977"}],
})
CONFLICT_EXAMPLE = OpenApiExample("Already done", response_only=True, status_codes=["409"],
                                  value={"code": "stop.already_completed",
                                         "message": "This stop is already done.",
                                         "fields": {}})


def action_view(kind: str) -> type[MobileApi]:
    """One endpoint per action; all go through mobile_api.actions.perform."""
    request_serializer = actions.INPUT[kind]

    class ActionApi(MobileApi):
        @extend_schema(
            tags=TAG, operation_id=f"mobile_{kind}", parameters=[IDEMPOTENCY_PARAMETER],
            request=request_serializer, description=ACTION_DESCRIPTIONS[kind],
            responses={200: s.ActionResultSerializer, **ACTION_ERRORS},
            examples=[*ACTION_EXAMPLES.get(kind, []), ACTION_RESULT_EXAMPLE, CONFLICT_EXAMPLE],
        )
        def post(self, request, pk: int):
            key = check_key(request.headers.get(HEADER))
            data = request.data if isinstance(request.data, dict) else {}
            answer = run_once(
                user=request.user, key=key, method="POST", path=actions.action_path(kind, pk),
                body=actions.hashed_body(dict(data)),
                action=lambda: actions.perform(volunteer=request.volunteer, user=request.user,
                                               kind=kind, target=pk, data=data),
            )
            return answer_response(answer)

    ActionApi.__name__ = ActionApi.__qualname__ = f"{kind.capitalize()}Api"
    return ActionApi


RouteStartApi = action_view("start")
RouteFinishApi = action_view("finish")
StopArriveApi = action_view("arrive")
StopCompleteApi = action_view("complete")
StopFailApi = action_view("fail")


class StopConcernApi(MobileApi):
    """A worry about the reader at this door. The branch hears at once: an urgent item in the
    desk's inbox, an SMS to the branch's duty phone, and the caregiver where the card says
    messages go to them. Allowed on the volunteer's own stops of today, or of a route whose
    details they still see."""

    @extend_schema(
        tags=TAG, operation_id="mobile_concern", parameters=[IDEMPOTENCY_PARAMETER],
        request=actions.MobileConcernInputSerializer,
        description="400 validation_error (kind, note: required for \"other\", at most 1000); "
                    "404 not your stop; 409 concern.too_late (the visit is over), "
                    "stop.not_on_your_route; 422 idempotency.key_reused.",
        responses={201: s.ConcernSerializer, **ACTION_ERRORS},
        examples=[
            OpenApiExample("Seems unwell", request_only=True,
                           value={"kind": "unwell", "note": "Dizzy, did not get up"}),
            OpenApiExample("Raised", response_only=True, status_codes=["201"], value={
                "id": 7, "stop": 301, "kind": "unwell", "kind_label": "Seems unwell",
                "note": "Dizzy, did not get up", "created_at": "2026-11-25T09:44:00+05:00"}),
        ],
    )
    def post(self, request, pk: int):
        key = check_key(request.headers.get(HEADER))
        data = request.data if isinstance(request.data, dict) else {}
        answer = run_once(
            user=request.user, key=key, method="POST",
            path=actions.action_path(actions.CONCERN, pk),
            body=actions.hashed_body(dict(data)),
            action=lambda: actions.perform(volunteer=request.volunteer, user=request.user,
                                           kind=actions.CONCERN, target=pk, data=data),
        )
        return answer_response(answer)


class SyncApi(MobileApi):
    """What the app queued offline: applied in the order it happened (happened_at, then
    position), each action under its own idempotency key, with a result per action in the
    order sent. Sending the same batch again changes nothing. Types: start, finish (with
    `route`), arrive, complete, fail, concern (with `stop`); `body` is what the action's own
    endpoint takes."""

    @extend_schema(
        tags=TAG, operation_id="mobile_sync", request=s.SyncInputSerializer,
        responses={200: s.SyncOutputSerializer, **errors(400, 401, 403)},
        examples=[
            OpenApiExample("A queue", request_only=True, value={"actions": [
                {"key": "6f1c7a4e-1", "type": "arrive", "stop": 301, "body": {},
                 "happened_at": "2026-11-25T09:40:00+05:00"},
                {"key": "6f1c7a4e-2", "type": "complete", "stop": 301,
                 "body": {"delivered": ["KZ-0001234"], "collected": [], "note": ""},
                 "happened_at": "2026-11-25T09:48:00+05:00"},
                {"key": "6f1c7a4e-3", "type": "fail", "stop": 302,
                 "body": {"reason": "not_home", "note": ""},
                 "happened_at": "2026-11-25T10:15:00+05:00"},
            ]}),
            OpenApiExample("Results", response_only=True, value={"results": [
                {"key": "6f1c7a4e-1", "status": 200, "body": {"action": "arrive", "...": "..."}},
                {"key": "6f1c7a4e-2", "status": 200,
                 "body": {"action": "complete", "...": "..."}},
                {"key": "6f1c7a4e-3", "status": 409,
                 "body": {"code": "stop.already_failed",
                          "message": "This stop was already recorded as not done.",
                          "fields": {}}},
            ]}),
        ],
    )
    def post(self, request):
        batch = s.SyncInputSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        raw_actions = batch.validated_data["actions"]
        results: list[dict | None] = [None] * len(raw_actions)
        queue = []
        for index, raw in enumerate(raw_actions):
            item = s.SyncActionSerializer(data=raw)
            if not item.is_valid():
                results[index] = {"key": str(raw.get("key", "")), "status": 400,
                                  "body": validation_payload(item.errors)}
                continue
            queue.append((item.validated_data["happened_at"], index, item.validated_data))
        queue.sort(key=lambda entry: (entry[0], entry[1]))
        for _when, index, action in queue:
            results[index] = self._apply(request, action)
        return Response({"results": results})

    def _apply(self, request, action: dict) -> dict:
        kind, target = action["type"], action["target"]
        key = action["key"]
        data = {**action["body"], "happened_at": action["happened_at"]}
        try:
            key = check_key(key)
            answer = run_once(
                user=request.user, key=key, method="POST",
                path=actions.action_path(kind, target), body=actions.hashed_body(action["body"]),
                action=lambda: actions.perform(volunteer=request.volunteer, user=request.user,
                                               kind=kind, target=target, data=data),
            )
            return {"key": key, "status": answer.status, "body": answer.body}
        except exceptions.ValidationError as exc:
            return {"key": key, "status": 400, "body": validation_payload(exc.detail)}
        except (exceptions.NotFound, Http404):
            return {"key": key, "status": 404, "body": {
                "code": "not_found", "message": str(exceptions.NotFound.default_detail),
                "fields": {}}}
        except ApplicationError as exc:
            return {"key": key, "status": exc.status_code, "body": error_body(exc)}


class ChangesFilterSerializer(serializers.Serializer):
    since = serializers.IntegerField(min_value=0, max_value=2 ** 62, required=False,
                                     help_text="The last cursor; 0 at first")
    limit = serializers.IntegerField(min_value=0, max_value=500, required=False,
                                     help_text="At most 500")


class ChangesApi(MobileApi):
    """What changed on the volunteer's routes since the cursor: a route published or
    cancelled, a stop added, moved, removed or cancelled. Start with since=0, keep `cursor`."""

    @extend_schema(
        tags=TAG, operation_id="mobile_changes", parameters=[ChangesFilterSerializer],
        responses={200: s.ChangesSerializer, **errors(400, 401, 403)},
        examples=[OpenApiExample("Changes", response_only=True, value={
            "changes": [{"id": 88, "kind": "stop_added", "route": 12, "date": "2026-11-25",
                         "stop": 305, "at": "2026-11-25T10:31:00+05:00", "data": {}}],
            "cursor": 88, "more": False})],
    )
    def get(self, request):
        filters = ChangesFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        since = filters.validated_data.get("since", 0)
        limit = filters.validated_data.get("limit") or 200
        rows = selectors.changes_since(request.volunteer, since, limit)
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(s.ChangesSerializer({
            "changes": rows, "cursor": rows[-1].pk if rows else since, "more": more,
        }).data)
