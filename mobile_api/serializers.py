"""Input and output shapes of the volunteers' API. Outputs are used to write the answers, so
the OpenAPI schema is exactly what the app receives."""
import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.core import dates
from backend.core.recurrence_text import RRULE_TEXT_HELP, rrule_describe
from backend.core.serializers import BoundedDateField
from mobile_api.action_types import ACTION_TYPES

# Signing in ---------------------------------------------------------------------------------------


class PasswordSignInSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=40, help_text=_("In any form: 8 701 123 45 67, "
                                                             "+77011234567."))
    password = serializers.CharField(max_length=200, trim_whitespace=False)


class OtpRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=40)


class OtpRequestedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text=_("Seconds the code is valid."))


class LinkSignInSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100, help_text=_(
        "What follows #link= in the link of the route SMS."))


class OtpVerifySerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    code = serializers.CharField(max_length=12)


# The volunteer ------------------------------------------------------------------------------------


class BranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    settlement = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    time_zone = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    phone = serializers.SerializerMethodField()
    interface_language = serializers.CharField(source="user.language")
    languages = serializers.ListField(child=serializers.CharField())
    transport = serializers.CharField()
    capacity = serializers.IntegerField()
    max_stops = serializers.IntegerField()
    branch = BranchSerializer()

    def get_name(self, obj) -> str:
        return obj.user.get_full_name() or obj.user.get_username()

    def get_phone(self, obj) -> str:
        return str(obj.user.phone or "")


class ShiftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rrule = serializers.CharField()
    rrule_text = serializers.SerializerMethodField(help_text=RRULE_TEXT_HELP)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")

    def get_rrule_text(self, obj) -> str:
        return rrule_describe(obj.rrule, obj.starts_on)


class AbsenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    windows = WindowSerializer(many=True)
    absent = serializers.BooleanField()


class AvailabilitySerializer(serializers.Serializer):
    shifts = ShiftSerializer(many=True)
    absences = AbsenceSerializer(many=True)
    days = DaySerializer(many=True, help_text=_("The next 14 days: when you work."))


class AvailabilityInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=(("absence", _("Absence")), ("shift", _("Shift"))))
    starts_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    ends_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    rrule = serializers.CharField(required=False, max_length=300,
                                  help_text=_("For a shift, e.g. FREQ=WEEKLY;BYDAY=MO,WE"))
    start_time = serializers.TimeField(required=False)
    end_time = serializers.TimeField(required=False)

    def validate(self, attrs):
        required = (("starts_on", "ends_on") if attrs["kind"] == "absence"
                    else ("rrule", "start_time", "end_time"))
        missing = {name: [_("This field is required.")] for name in required
                   if attrs.get(name) in (None, "")}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class AvailabilityCreatedSerializer(serializers.Serializer):
    kind = serializers.CharField()
    shift = ShiftSerializer(required=False)
    absence = AbsenceSerializer(required=False)


# Routes and stops ---------------------------------------------------------------------------------


class RouteListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField(source="plan.date")
    status = serializers.CharField()
    version = serializers.IntegerField()
    departure = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.IntegerField()
    duration_s = serializers.IntegerField()
    stops_total = serializers.IntegerField()
    stops_open = serializers.IntegerField()


class RouteListSerializer(serializers.Serializer):
    date = serializers.DateField()
    routes = RouteListItemSerializer(many=True)


class AddressSerializer(serializers.Serializer):
    settlement = serializers.CharField()
    street = serializers.CharField()
    house = serializers.CharField()
    apartment = serializers.CharField()
    entrance = serializers.CharField()
    floor = serializers.IntegerField(allow_null=True)
    door_code = serializers.CharField()
    elevator = serializers.BooleanField(allow_null=True)
    landmark = serializers.CharField()


class PhoneSerializer(serializers.Serializer):
    number = serializers.CharField(help_text=_("E.164, to dial"))
    display = serializers.CharField()
    kind = serializers.CharField()
    who = serializers.CharField(help_text=_("Whose phone it is"))


# "for" and "from" are Python keywords: these two are built with type().
HandOverSerializer = type("HandOverSerializer", (serializers.Serializer,), {
    "title": serializers.CharField(),
    "authors": serializers.CharField(),
    "format": serializers.CharField(),
    "barcode": serializers.CharField(),
    "for": serializers.CharField(help_text=_("The household member it is for")),
})

CollectSerializer = type("CollectSerializer", (serializers.Serializer,), {
    "title": serializers.CharField(),
    "authors": serializers.CharField(),
    "barcode": serializers.CharField(),
    "due_date": serializers.DateField(),
    "from": serializers.CharField(help_text=_("Whose loan it is")),
})


class StopSerializer(serializers.Serializer):
    """A stop. The reader's details (name ... note) are present only while `details` is
    true: from the day before the route until a few hours after it is finished."""

    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text=_("Position in the route, from 1"))
    sequence = serializers.IntegerField()
    kind = serializers.CharField(help_text="delivery | pickup")
    status = serializers.CharField(help_text="planned | arrived | completed | failed")
    window_start = serializers.TimeField(format="%H:%M")
    window_end = serializers.TimeField(format="%H:%M")
    expected_arrival = serializers.DateTimeField(allow_null=True)
    arrived_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    fail_reason = serializers.CharField()
    items_to_hand_over = serializers.IntegerField()
    items_to_collect = serializers.IntegerField()
    items_delivered = serializers.IntegerField()
    details = serializers.BooleanField()
    name = serializers.CharField(required=False)
    members = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text=_("Other household members served here"))
    address = AddressSerializer(required=False)
    access_notes = serializers.ListField(child=serializers.CharField(), required=False)
    phone = PhoneSerializer(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    hand_over = HandOverSerializer(many=True, required=False)
    collect = CollectSerializer(many=True, required=False)
    note = serializers.CharField(required=False)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.get("details"):
            from mobile_api.selectors import DETAIL_KEYS

            for name in DETAIL_KEYS:
                data.pop(name, None)
        return data


class RouteBranchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)


# The route's answer but its stops: mobile_api.route_cache puts the kept stops after it. (No
# docstring: the schema would take it as the route's description.)
class RouteHeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    status = serializers.CharField(help_text="published | started | finished")
    version = serializers.IntegerField()
    time_zone = serializers.CharField()
    departure = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    distance_km = serializers.FloatField()
    duration_min = serializers.IntegerField()
    branch = RouteBranchSerializer()
    details_visible = serializers.BooleanField()
    details_until = serializers.DateTimeField()


class RouteSerializer(RouteHeadSerializer):
    stops = StopSerializer(many=True)


# Actions ------------------------------------------------------------------------------------------


class RouteStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class StopStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    arrived_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    fail_reason = serializers.CharField()
    note = serializers.CharField()


class LoanMadeSerializer(serializers.Serializer):
    barcode = serializers.CharField()
    due_date = serializers.DateField()


class ReturnMadeSerializer(serializers.Serializer):
    barcode = serializers.CharField()


class ActionResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    route = RouteStateSerializer()
    stop = StopStateSerializer(required=False)
    loans = LoanMadeSerializer(many=True, required=False,
                               help_text=_("Loans issued (complete only)"))
    returns = ReturnMadeSerializer(many=True, required=False,
                                   help_text=_("Returns recorded (complete only)"))


# An action's answer is written as a plain dict, in ActionResultSerializer's fields' order and
# shapes (the serializers above are the schema): no field objects built at each action.
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def _int(value) -> int | None:
    return None if value is None else int(value)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _shown(field: serializers.Field, value):
    return None if value is None else field.to_representation(value)


def action_answer(result: dict[str, Any]) -> dict[str, Any]:
    """`ActionResultSerializer(result).data` as a plain dict: `route` always, `stop`,
    `loans` and `returns` when the action has them."""
    route = result["route"]
    answer: dict[str, Any] = {"action": _text(result["action"]), "route": {
        "id": _int(route["id"]), "status": _text(route["status"]),
        "version": _int(route["version"]),
        "started_at": _shown(_DATETIME, route["started_at"]),
        "finished_at": _shown(_DATETIME, route["finished_at"])}}
    stop = result.get("stop")
    if "stop" in result:
        answer["stop"] = None if stop is None else {
            "id": _int(stop["id"]), "status": _text(stop["status"]),
            "arrived_at": _shown(_DATETIME, stop["arrived_at"]),
            "completed_at": _shown(_DATETIME, stop["completed_at"]),
            "fail_reason": _text(stop["fail_reason"]), "note": _text(stop["note"])}
    if "loans" in result:
        answer["loans"] = [{"barcode": _text(loan["barcode"]),
                            "due_date": _shown(_DATE, loan["due_date"])}
                           for loan in result["loans"]]
    if "returns" in result:
        answer["returns"] = [{"barcode": _text(one["barcode"])} for one in result["returns"]]
    return answer


class ConcernSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stop = serializers.IntegerField(source="stop_id", allow_null=True)
    kind = serializers.CharField(help_text="unwell | fall_or_injury | no_heating_or_food | "
                                           "neglect | no_answer_again | other")
    kind_label = serializers.CharField(source="get_kind_display")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class SyncActionSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100, help_text=_("The action's idempotency key"))
    type = serializers.ChoiceField(choices=[(t, t) for t in ACTION_TYPES])
    stop = serializers.IntegerField(required=False,
                                    help_text=_("For arrive, complete, fail, concern"))
    route = serializers.IntegerField(required=False, help_text=_("For start, finish"))
    body = serializers.DictField(required=False, default=dict,
                                 help_text=_("What the action's own endpoint takes"))
    happened_at = serializers.DateTimeField(help_text=_("When it happened on the phone"))

    def validate(self, attrs):
        target = "route" if attrs["type"] in ("start", "finish") else "stop"
        if attrs.get(target) is None:
            raise serializers.ValidationError({target: [_("This field is required.")]})
        attrs["target"] = attrs[target]
        return attrs


class SyncInputSerializer(serializers.Serializer):
    actions = serializers.ListField(child=serializers.DictField(), max_length=500,
                                    help_text=_("SyncAction objects, oldest first"))


class SyncResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    status = serializers.IntegerField(help_text=_("The HTTP status the action's own endpoint "
                                                  "would answer"))
    body = serializers.JSONField(help_text=_("Its answer: an action result or an error"))


class SyncOutputSerializer(serializers.Serializer):
    results = SyncResultSerializer(many=True)


class ChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("Also the cursor"))
    kind = serializers.CharField(
        help_text="published | stop_added | stop_removed | stop_moved | stop_cancelled | "
                  "stop_updated | route_cancelled")
    route = serializers.IntegerField(source="route_id", allow_null=True)
    date = serializers.SerializerMethodField()
    stop = serializers.IntegerField(source="stop_id", allow_null=True)
    at = serializers.DateTimeField()
    data = serializers.DictField()

    def get_date(self, obj) -> datetime.date | None:
        # A cancelled route may be gone; the change still names its day when it can.
        route = getattr(obj, "route", None)
        return route.plan.date if route is not None else (obj.data or {}).get("date")


class ChangesSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    cursor = serializers.IntegerField(help_text=_("Send it as `since` next time"))
    more = serializers.BooleanField(help_text=_("More changes wait: ask again at once"))
