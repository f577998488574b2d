"""Staff API for volunteers: profiles, shifts, absences and availability.

Coordinators write; librarians and operators read; volunteers get 403 here (their own
availability comes through the mobile API, on the same services and selectors). A
volunteer's home (address and coordinates) is shown to coordinators and librarians only.
"""
import datetime
from contextlib import contextmanager

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from backend.core import dates
from backend.core.calendar import holiday_name
from backend.core.exceptions import ApplicationError
from backend.core.permissions import roles_allowed
from backend.core.roles import Role
from backend.core.schema import errors
from backend.core.serializers import BoundedDateField
from backend.volunteers import selectors, services
from backend.volunteers.models import Absence, Shift, Volunteer
from backend.volunteers.serializers import (
    VolunteerAbsenceInputSerializer,
    VolunteerAbsenceOutputSerializer,
    VolunteerAvailabilityDayOutputSerializer,
    VolunteerCreateInputSerializer,
    VolunteerFilterSerializer,
    VolunteerOutputSerializer,
    VolunteerShiftInputSerializer,
    VolunteerShiftOutputSerializer,
    VolunteerUpdateInputSerializer,
)

VolunteerPermission = roles_allowed(
    read=(Role.LIBRARIAN, Role.OPERATOR, Role.COORDINATOR),
    write=(Role.COORDINATOR,),
)
MAX_AVAILABILITY_DAYS = 92
DEFAULT_AVAILABILITY_DAYS = 14

VOLUNTEER_EXAMPLE = OpenApiExample(
    "New volunteer on a bicycle",
    request_only=True,
    value={
        "username": "aigerim.s",
        "first_name": "Айгерім",
        "last_name": "Сейітова",
        "phone": "8 701 555 12 34",
        "branch": 1,
        "transport": "bicycle",
        "capacity": 12,
        "max_stops": 10,
        "starts_at": "home",
        "ends_at": "branch",
        "home": {"address": "с. Бишкуль, ул. Абая, 5", "lat": 54.781, "lon": 69.108},
        "languages": ["kk", "ru"],
    },
)
SHIFT_EXAMPLE = OpenApiExample(
    "Weekday mornings",
    request_only=True,
    value={"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "starts_on": "2026-12-01",
           "start_time": "09:00", "end_time": "13:00"},
)

# The API nests the home; the services name its fields flat.
_API_FIELD_NAMES = {"home_address": ("home", "address"), "home_lat": ("home", "lat"),
                    "home_lon": ("home", "lon")}


@contextmanager
def api_field_names():
    """Name the API's fields in a service's error: home_lat -> {"home": {"lat": [...]}}."""
    try:
        yield
    except ApplicationError as error:
        fields = {}
        for name, messages in (error.fields or {}).items():
            if name in _API_FIELD_NAMES:
                outer, inner = _API_FIELD_NAMES[name]
                fields.setdefault(outer, {})[inner] = messages
            else:
                fields[name] = messages
        error.fields = fields
        raise


def _volunteer_body(request, pk: int) -> dict:
    volunteer = selectors.volunteer_queryset().get(pk=pk)
    return VolunteerOutputSerializer(volunteer, context={"request": request}).data


class VolunteerListApi(GenericAPIView):
    permission_classes = [VolunteerPermission]
    queryset = Volunteer.objects.none()  # for the schema; selectors do the reads
    serializer_class = VolunteerOutputSerializer

    @extend_schema(
        operation_id="volunteers_list",
        parameters=[VolunteerFilterSerializer],
        responses={200: VolunteerOutputSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request):
        filters = VolunteerFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.volunteer_list(filters=filters.validated_data))
        data = VolunteerOutputSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="volunteers_create",
        request=VolunteerCreateInputSerializer,
        responses={201: VolunteerOutputSerializer, **errors(400, 401, 403, 409)},
        examples=[VOLUNTEER_EXAMPLE],
    )
    def post(self, request):
        serializer = VolunteerCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            volunteer = services.volunteer_create(data=serializer.to_flat(), by=request.user)
        return Response(_volunteer_body(request, volunteer.pk), status=status.HTTP_201_CREATED)


class VolunteerDetailApi(GenericAPIView):
    permission_classes = [VolunteerPermission]
    queryset = Volunteer.objects.none()  # for the schema; selectors do the reads
    serializer_class = VolunteerOutputSerializer

    @extend_schema(operation_id="volunteers_retrieve",
                   responses={200: VolunteerOutputSerializer, **errors(401, 403, 404)})
    def get(self, request, pk: int):
        volunteer = get_object_or_404(selectors.volunteer_queryset(), pk=pk)
        return Response(VolunteerOutputSerializer(volunteer, context={"request": request}).data)

    @extend_schema(operation_id="volunteers_partial_update",
                   request=VolunteerUpdateInputSerializer,
                   responses={200: VolunteerOutputSerializer, **errors(400, 401, 403, 404, 409)})
    def patch(self, request, pk: int):
        volunteer = get_object_or_404(Volunteer, pk=pk)
        serializer = VolunteerUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with api_field_names():
            services.volunteer_update(volunteer=volunteer, data=serializer.to_flat(),
                                      by=request.user)
        return Response(_volunteer_body(request, pk))


class VolunteerShiftListApi(GenericAPIView):
    permission_classes = [VolunteerPermission]
    queryset = Shift.objects.none()  # for the schema
    serializer_class = VolunteerShiftOutputSerializer
    pagination_class = None

    @extend_schema(operation_id="volunteers_shifts_list",
                   responses={200: VolunteerShiftOutputSerializer(many=True),
                              **errors(401, 403, 404)})
    def get(self, request, pk: int):
        volunteer = get_object_or_404(selectors.volunteer_queryset(), pk=pk)
        return Response(VolunteerShiftOutputSerializer(volunteer.shifts.all(), many=True).data)

    @extend_schema(operation_id="volunteers_shifts_create",
                   request=VolunteerShiftInputSerializer,
                   responses={201: VolunteerShiftOutputSerializer, **errors(400, 401, 403, 404)},
                   examples=[SHIFT_EXAMPLE])
    def post(self, request, pk: int):
        volunteer = get_object_or_404(Volunteer, pk=pk)
        serializer = VolunteerShiftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shift = services.shift_add(volunteer=volunteer, by=request.user,
                                   **serializer.validated_data)
        return Response(VolunteerShiftOutputSerializer(shift).data,
                        status=status.HTTP_201_CREATED)


class VolunteerShiftDeleteApi(GenericAPIView):
    permission_classes = [VolunteerPermission]
    queryset = Shift.objects.none()  # for the schema

    @extend_schema(operation_id="volunteers_shifts_destroy",
                   responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, pk: int, shift_id: int):
        # The volunteer first: a filter on volunteer_id would send the database any number.
        volunteer = get_object_or_404(Volunteer, pk=pk)
        shift = get_object_or_404(volunteer.shifts, pk=shift_id)
        services.shift_remove(shift=shift, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VolunteerAbsenceListApi(GenericAPIView):
    permission_classes = [VolunteerPermission]
    queryset = Absence.objects.none()  # for the schema
    serializer_class = VolunteerAbsenceOutputSerializer
    pagination_class = None

    @extend_schema(operation_id="volunteers_absences_list",
                   responses={200: VolunteerAbsenceOutputSerializer(many=True),
                              **errors(401, 403, 404)})
    def get(self, request, pk: int):
        volunteer = get_object_or_404(selectors.volunteer_queryset(), pk=pk)
        return Response(VolunteerAbsenceOutputSerializer(volunteer.absences.all(),
                                                         many=True).data)

    @extend_schema(operation_id="volunteers_absences_create",
                   request=VolunteerAbsenceInputSerializer,
                   responses={201: VolunteerAbsenceOutputSerializer,
                              **errors(400, 401, 403, 404, 409)})
    def post(self, request, pk: int):
        volunteer = get_object_or_404(Volunteer, pk=pk)
        serializer = VolunteerAbsenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        absence = services.absence_add(volunteer=volunteer, by=request.user,
                                       **serializer.validated_data)
        return Response(VolunteerAbsenceOutputSerializer(absence).data,
                        status=status.HTTP_201_CREATED)


class VolunteerAbsenceDeleteApi(GenericAPIView):
    permission_classes = [VolunteerPermission]
    queryset = Absence.objects.none()  # for the schema

    @extend_schema(operation_id="volunteers_absences_destroy",
                   responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, pk: int, absence_id: int):
        volunteer = get_object_or_404(Volunteer, pk=pk)
        absence = get_object_or_404(volunteer.absences, pk=absence_id)
        services.absence_remove(absence=absence, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VolunteerAvailabilityFilterSerializer(serializers.Serializer):
    """?from=&to= (both days included): from today, for two weeks, when not given."""

    def get_fields(self):
        return {
            "from": BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                     help_text=_("First day; today.")),
            "to": BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                        help_text=_("Last day; 13 days after `from`.")),
        }

    def validate(self, attrs):
        start = attrs.get("from") or timezone.localdate()
        end = attrs.get("to") or start + datetime.timedelta(days=DEFAULT_AVAILABILITY_DAYS - 1)
        if end < start:
            raise serializers.ValidationError(
                {"to": [_("Must be on or after `from`.")]}, code="invalid"
            )
        if (end - start).days >= MAX_AVAILABILITY_DAYS:
            raise serializers.ValidationError(
                {"to": [ngettext("At most %(days)s day at a time.",
                                 "At most %(days)s days at a time.",
                                 MAX_AVAILABILITY_DAYS) % {"days": MAX_AVAILABILITY_DAYS}]},
                code="invalid",
            )
        return {"from": start, "to": end}


class VolunteerAvailabilityApi(GenericAPIView):
    """Each day's working windows: shifts merged, none on a day of absence. Public holidays
    are named but do not cancel shifts."""

    permission_classes = [VolunteerPermission]
    queryset = Volunteer.objects.none()  # for the schema
    serializer_class = VolunteerAvailabilityDayOutputSerializer
    pagination_class = None

    @extend_schema(
        operation_id="volunteers_availability",
        parameters=[VolunteerAvailabilityFilterSerializer],
        responses={200: VolunteerAvailabilityDayOutputSerializer(many=True),
                   **errors(400, 401, 403, 404)},
    )
    def get(self, request, pk: int):
        volunteer = get_object_or_404(selectors.volunteer_queryset(), pk=pk)
        window = VolunteerAvailabilityFilterSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        days = selectors.volunteer_calendar(volunteer, window.validated_data["from"],
                                            window.validated_data["to"])
        rows = [
            {
                "date": day["date"],
                "weekday": day["date"].weekday(),
                "windows": [{"start": start, "end": end} for start, end in day["windows"]],
                "absence": day["absence"].pk if day["absence"] else None,
                "holiday": holiday_name(day["date"]),
            }
            for day in days
        ]
        return Response(VolunteerAvailabilityDayOutputSerializer(rows, many=True).data)
