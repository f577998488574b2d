"""Volunteer shapes for the staff API. Class names are unique across the project (OpenAPI)."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.branches.models import Branch
from backend.core import dates
from backend.core.recurrence_text import RRULE_TEXT_HELP, rrule_describe
from backend.core.roles import Role, has_role
from backend.core.serializers import BoundedDateField, PhoneField
from backend.core.text import validate_person_name
from backend.readers.models import Language
from backend.volunteers.models import Place, Transport


def can_see_home(user) -> bool:
    """A volunteer's home is personal data: coordinators (who plan from it) and librarians."""
    return has_role(user, Role.COORDINATOR, Role.LIBRARIAN)


class VolunteerHomeInputSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=250, allow_blank=True, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False)
    lon = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lon" in attrs) or (
            (attrs.get("lat") is None) != (attrs.get("lon") is None)
        ):
            raise serializers.ValidationError(
                {"lat": [_("Give both latitude and longitude, or neither.")]}, code="invalid"
            )
        return attrs


class VolunteerProfileFieldsSerializer(serializers.Serializer):
    """The profile fields shared by create and update."""

    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False,
                                       validators=[validate_person_name])
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False,
                                      validators=[validate_person_name])
    phone = PhoneField(allow_blank=True, required=False,
                       help_text=_("Any form; stored as +7XXXXXXXXXX. Unique."))
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False)
    transport = serializers.ChoiceField(choices=Transport.choices, required=False)
    speed_kmh = serializers.FloatField(
        min_value=1, max_value=120, allow_null=True, required=False,
        help_text=_("Door-to-door speed; null for the usual speed of the transport."),
    )
    capacity = serializers.IntegerField(min_value=1, max_value=200, required=False,
                                        help_text=_("Items they can carry."))
    max_stops = serializers.IntegerField(min_value=1, max_value=100, required=False,
                                         help_text=_("Most stops in a shift."))
    starts_at = serializers.ChoiceField(choices=Place.choices, required=False)
    ends_at = serializers.ChoiceField(choices=Place.choices, required=False)
    home = VolunteerHomeInputSerializer(required=False)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices), required=False, max_length=5,
    )
    active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)

    def to_flat(self) -> dict:
        """The validated data as the service's field names (home -> home_address ...)."""
        flat = dict(self.validated_data)
        home = flat.pop("home", None)
        if home is not None:
            for sub in ("address", "lat", "lon"):
                if sub in home:
                    flat[f"home_{sub}"] = home[sub]
        if "languages" in flat:
            flat["languages"] = list(dict.fromkeys(flat["languages"]))
        if flat.get("phone") == "":
            flat["phone"] = None
        return flat


class VolunteerCreateInputSerializer(VolunteerProfileFieldsSerializer):
    user = serializers.IntegerField(
        required=False, allow_null=True,
        help_text=_("An existing account in the volunteer group; or give username and names "
                    "for a new account."),
    )
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, min_length=8,
        style={"input_type": "password"},
        help_text=_("Optional: without one the account cannot sign in with a password."),
    )


class VolunteerUpdateInputSerializer(VolunteerProfileFieldsSerializer):
    """Only the fields given change; the account stays the same."""


class VolunteerUserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class VolunteerHomeOutputSerializer(serializers.Serializer):
    address = serializers.CharField(source="home_address")
    lat = serializers.FloatField(source="home_lat", allow_null=True)
    lon = serializers.FloatField(source="home_lon", allow_null=True)


class VolunteerShiftOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rrule = serializers.CharField()
    rrule_text = serializers.SerializerMethodField(help_text=RRULE_TEXT_HELP)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")

    def get_rrule_text(self, obj) -> str:
        return rrule_describe(obj.rrule, obj.starts_on)


class VolunteerAbsenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField()


class VolunteerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = VolunteerUserOutputSerializer()
    phone = serializers.SerializerMethodField()
    branch = serializers.IntegerField(source="branch_id")
    branch_name = serializers.CharField(source="branch.name")
    transport = serializers.ChoiceField(choices=Transport.choices)
    speed_kmh = serializers.FloatField(source="speed",
                                       help_text=_("Effective speed: their own or the usual."))
    own_speed_kmh = serializers.FloatField(source="speed_kmh", allow_null=True,
                                           help_text=_("Their own speed, if set."))
    capacity = serializers.IntegerField()
    max_stops = serializers.IntegerField()
    starts_at = serializers.ChoiceField(choices=Place.choices)
    ends_at = serializers.ChoiceField(choices=Place.choices)
    home = serializers.SerializerMethodField(
        help_text=_("Coordinators and librarians only; null for others."))
    languages = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    note = serializers.CharField()
    shifts = VolunteerShiftOutputSerializer(many=True)
    absences = VolunteerAbsenceOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_phone(self, obj) -> str:
        return str(obj.user.phone) if obj.user.phone else ""

    @extend_schema_field(VolunteerHomeOutputSerializer(allow_null=True))
    def get_home(self, obj) -> dict | None:
        request = self.context.get("request")
        if request is None or not can_see_home(request.user):
            return None
        return VolunteerHomeOutputSerializer(obj).data


class VolunteerShiftInputSerializer(serializers.Serializer):
    rrule = serializers.CharField(
        max_length=300,
        help_text=_("An RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR."),
    )
    starts_on = BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                 help_text=_("Today when not given."))
    ends_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()


class VolunteerAbsenceInputSerializer(serializers.Serializer):
    starts_on = BoundedDateField(bounds=dates.SCHEDULE)
    ends_on = BoundedDateField(bounds=dates.SCHEDULE)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VolunteerFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False,
                              help_text=_("Name, username, or phone in any form (or its last 7 "
                                          "digits)"))
    branch = serializers.IntegerField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    transport = serializers.ChoiceField(choices=Transport.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)


class VolunteerAvailabilityWindowOutputSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")


class VolunteerAvailabilityDayOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField(help_text="0 = Monday ... 6 = Sunday")
    windows = VolunteerAvailabilityWindowOutputSerializer(many=True)
    absence = serializers.IntegerField(allow_null=True,
                                       help_text=_("The absence that takes the day off."))
    holiday = serializers.CharField(
        allow_null=True,
        help_text=_("A public holiday's name; shifts still run on holidays."),
    )
