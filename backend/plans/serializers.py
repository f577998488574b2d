"""Input and output of the standing plans' API (backend/plans/apis.py)."""
import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import serializers

from backend.core import dates
from backend.core.recurrence_text import RRULE_TEXT_HELP, rrule_describe
from backend.core.serializers import BoundedDateField, IdField
from backend.readers.models import FamilyCard, Reader

MAX_OCCURRENCE_DAYS = 731


class StandingPlanPauseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField()


class StandingPlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reader = serializers.SerializerMethodField()
    family_card = serializers.SerializerMethodField()
    rrule = serializers.CharField()
    rrule_text = serializers.SerializerMethodField(help_text=RRULE_TEXT_HELP)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    window_start = serializers.TimeField(format="%H:%M")
    window_end = serializers.TimeField(format="%H:%M")
    items_per_visit = serializers.IntegerField()
    active = serializers.BooleanField()
    note = serializers.CharField()
    pauses = StandingPlanPauseOutputSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_rrule_text(self, obj) -> str:
        return rrule_describe(obj.rrule, obj.starts_on)

    def get_reader(self, obj) -> dict | None:
        if obj.reader_id is None:
            return None
        r = obj.reader
        return {"id": r.id, "card_number": r.card_number, "name": r.full_name,
                "status": r.status}

    def get_family_card(self, obj) -> dict | None:
        if obj.family_card_id is None:
            return None
        f = obj.family_card
        return {"id": f.id, "number": f.number, "name": f.name, "status": f.status,
                "head": f.head_id}


class StandingPlanInputSerializer(serializers.Serializer):
    reader = serializers.PrimaryKeyRelatedField(
        queryset=Reader.objects.all(), required=False, allow_null=True,
        help_text=_("The reader card; give this or family_card."),
    )
    family_card = serializers.PrimaryKeyRelatedField(
        queryset=FamilyCard.objects.all(), required=False, allow_null=True,
        help_text=_("The family card (one visit for the household); give this or reader."),
    )
    rrule = serializers.CharField(
        max_length=300,
        help_text=_("An RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TU. "
                    "DAILY, WEEKLY, MONTHLY or YEARLY."),
    )
    starts_on = BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                 help_text=_("Today when not given."))
    ends_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    window_start = serializers.TimeField()
    window_end = serializers.TimeField()
    items_per_visit = serializers.IntegerField(min_value=1, max_value=20, required=False)
    active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class StandingPlanUpdateInputSerializer(serializers.Serializer):
    """Only the fields given change. A plan stays with its card."""

    rrule = serializers.CharField(max_length=300, required=False)
    starts_on = BoundedDateField(bounds=dates.SCHEDULE, required=False)
    ends_on = BoundedDateField(bounds=dates.SCHEDULE, required=False, allow_null=True)
    window_start = serializers.TimeField(required=False)
    window_end = serializers.TimeField(required=False)
    items_per_visit = serializers.IntegerField(min_value=1, max_value=20, required=False)
    active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class StandingPlanPauseInputSerializer(serializers.Serializer):
    starts_on = BoundedDateField(bounds=dates.SCHEDULE)
    ends_on = BoundedDateField(bounds=dates.SCHEDULE)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StandingPlanFilterSerializer(serializers.Serializer):
    reader = IdField(required=False)
    family_card = IdField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class StandingPlanOccurrencesFilterSerializer(serializers.Serializer):
    """?from=&to= (both days included). From today, for 90 days, when not given."""

    def get_fields(self):
        return {
            "from": BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                     help_text=_("First day; today.")),
            "to": BoundedDateField(bounds=dates.SCHEDULE, required=False,
                                        help_text=_("Last day; 90 days after `from`.")),
        }

    def validate(self, attrs):
        start = attrs.get("from") or timezone.localdate()
        end = attrs.get("to") or start + datetime.timedelta(days=90)
        if end < start:
            raise serializers.ValidationError(
                {"to": [_("Must be on or after `from`.")]}, code="invalid"
            )
        if (end - start).days > MAX_OCCURRENCE_DAYS:
            raise serializers.ValidationError(
                {"to": [ngettext("At most %(days)s day at a time.",
                                 "At most %(days)s days at a time.",
                                 MAX_OCCURRENCE_DAYS) % {"days": MAX_OCCURRENCE_DAYS}]},
                code="invalid",
            )
        return {"from": start, "to": end}


class StandingPlanOccurrenceOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField(help_text="0 = Monday ... 6 = Sunday")
    skipped = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=[("pause", "pause"), ("holiday", "holiday")], allow_null=True,
        help_text=_("Why the visit is not on the rule's day: a pause of the plan, or a public "
                    "holiday (the visit moved, or skipped when nobody is at home soon after)."),
    )
    note = serializers.CharField(help_text=_(
        "The pause's reason, or what the holiday did: \"moved from 16 December — "
        "Independence Day\"."))
    pause = serializers.IntegerField(allow_null=True)
    moved_from = serializers.DateField(
        allow_null=True, help_text=_("The public holiday this visit moved from."))
    holiday = serializers.CharField(help_text=_("The public holiday's name, if any."))
    merged = serializers.BooleanField(
        help_text=_("The moved visit joined another visit of the plan on that day."))
    window_start = serializers.TimeField(allow_null=True, format="%H:%M")
    window_end = serializers.TimeField(allow_null=True, format="%H:%M")
    order = serializers.IntegerField(allow_null=True,
                                     help_text=_("The order already made for that day."))
