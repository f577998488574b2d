"""Order shapes for the staff API and the phone desk."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.catalog.models import Format, Title, TitleLanguage
from backend.core import dates
from backend.core.prepared import PreparedRead
from backend.core.recurrence_text import RRULE_TEXT_HELP
from backend.core.serializers import BoundedDateField, FieldsCopiedLean
from backend.orders.models import CallLog, CallOutcome, Channel, FailReason
from backend.orders.selectors import ordering_reader
from backend.readers.models import Reader


class WishSerializer(FieldsCopiedLean, serializers.Serializer):
    text = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    format = serializers.ChoiceField(choices=Format.choices, allow_blank=True, required=False,
                                     default="")
    language = serializers.ChoiceField(choices=TitleLanguage.choices, allow_blank=True,
                                       required=False, default="")
    subject = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")


_LARGEST_ID = 2 ** 63 - 1  # a bigger number is no row's id; the queryset says what it makes


def _given_pk(value) -> int | None:
    """The id a body gives (a whole number, or its digits as text), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= _LARGEST_ID else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value) if int(value) <= _LARGEST_ID else None
    return None


# Read at every order taken: its SQL built once per connection (core.prepared). The titles
# of the lines as `in_bulk` reads them (more than prepared.MAX_LIST: the queryset as such).
_TITLES = PreparedRead(lambda title_ids: Title.objects.filter(pk__in=title_ids).order_by(),
                       "title_ids", lists=("title_ids",))


class OrderLineListSerializer(serializers.ListSerializer):
    """An order's lines: the titles they name are read in one query, not one a line."""

    titles_read: dict[int, Title] | None = None

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) <= (self.max_length or len(data)):
            wanted = list(dict.fromkeys(
                pk for line in data if isinstance(line, dict)
                and (pk := _given_pk(line.get("title"))) is not None))
            self.titles_read = {title.pk: title for title in _TITLES.rows(title_ids=wanted)} \
                if wanted else {}
        return super().to_internal_value(data)


class LineTitleField(serializers.PrimaryKeyRelatedField):
    """A line's title: one the order's lines read together, else looked up on its own (with
    the same refusals)."""

    def to_internal_value(self, data):
        read = getattr(getattr(self.parent, "parent", None), "titles_read", None)
        pk = _given_pk(data)
        if read and pk is not None and pk in read:
            return read[pk]
        return super().to_internal_value(data)


class OrderReaderField(serializers.PrimaryKeyRelatedField):
    """The ordering reader, with their branch, family card and what they have on loan and
    promised (selectors.ordering_reader): one query (an id the body gives otherwise, e.g. a
    negative one, is looked up as the queryset does, with the same refusals)."""

    def to_internal_value(self, data):
        pk = _given_pk(data)
        if pk is None:
            return super().to_internal_value(data)
        found = ordering_reader(pk)
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found


class OrderLineInputSerializer(FieldsCopiedLean, serializers.Serializer):
    """One of: `title` (an exact title), `barcode` (this very copy) or `wish`."""

    title = LineTitleField(queryset=Title.objects.all(), required=False)
    barcode = serializers.CharField(max_length=40, required=False)
    wish = WishSerializer(required=False)
    reader = serializers.PrimaryKeyRelatedField(
        queryset=Reader.objects.all(), required=False,
        help_text=_("A family member the line is for; the ordering reader by default."),
    )

    def validate(self, attrs):
        given = [k for k in ("title", "barcode", "wish") if attrs.get(k)]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"title": [_("Give exactly one of title, barcode or wish.")]}, code="invalid"
            )
        wish = attrs.pop("wish", None)
        if wish is not None:
            if not any(wish.values()):
                raise serializers.ValidationError(
                    {"wish": [_("Describe the wish: text, format, language or subject.")]},
                    code="invalid",
                )
            attrs.update({f"wish_{k}": v for k, v in wish.items()})
        return attrs

    class Meta:
        list_serializer_class = OrderLineListSerializer


class OrderInputSerializer(FieldsCopiedLean, serializers.Serializer):
    # With what order_create reads of the card, so that it is read once.
    reader = OrderReaderField(queryset=Reader.objects.select_related("branch", "family_card"))
    lines = OrderLineInputSerializer(many=True, allow_empty=False, max_length=30)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    preferred_date = BoundedDateField(bounds=dates.PLAN_DAY, required=False, allow_null=True)
    window_start = serializers.TimeField(required=False, allow_null=True)
    window_end = serializers.TimeField(required=False, allow_null=True)
    note = serializers.CharField(allow_blank=True, required=False, default="")
    call = serializers.DictField(
        required=False,
        help_text=_("Log the call with the order: {phone, duration_seconds, note}."),
    )

    def validate(self, attrs):
        start, end = attrs.get("window_start"), attrs.get("window_end")
        if start and end and start >= end:
            raise serializers.ValidationError(
                {"window_end": [_("The window must end after it starts.")]}, code="invalid"
            )
        call = attrs.get("call")
        if call is not None:
            call_serializer = CallInputSerializer(
                data={**call, "outcome": call.get("outcome", CallOutcome.ORDER_TAKEN)}
            )
            if not call_serializer.is_valid():
                raise serializers.ValidationError({"call": call_serializer.errors})
            data = dict(call_serializer.validated_data)
            data.pop("reader", None)
            attrs["call"] = data
        return attrs


class OrderUpdateSerializer(serializers.Serializer):
    preferred_date = BoundedDateField(bounds=dates.PLAN_DAY, required=False, allow_null=True)
    window_start = serializers.TimeField(required=False, allow_null=True)
    window_end = serializers.TimeField(required=False, allow_null=True)
    note = serializers.CharField(allow_blank=True, required=False)


class TitleBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    format = serializers.CharField()
    language = serializers.CharField()


class OrderLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    reader = serializers.IntegerField(source="reader_id")
    title = TitleBriefSerializer(allow_null=True)
    barcode = serializers.SerializerMethodField()
    wish = serializers.SerializerMethodField()

    def get_barcode(self, obj) -> str | None:
        return obj.item.barcode if obj.item_id else None

    def get_wish(self, obj) -> dict | None:
        if obj.kind != "wish":
            return None
        return {"text": obj.wish_text, "format": obj.wish_format,
                "language": obj.wish_language, "subject": obj.wish_subject}

    def to_representation(self, instance):
        return _line_dict(instance)


# Orders and their lines are answered as plain dicts, in the fields' order and shapes (the
# fields above are the schema): a page of orders builds no field objects for their lines.
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_HOUR = serializers.TimeField(format="%H:%M")


def _text(value) -> str | None:
    return None if value is None else str(value)


def _shown(field: serializers.Field, value):
    return None if value is None else field.to_representation(value)


def _line_dict(line) -> dict:
    title = line.title
    return {
        "id": line.id,
        "kind": _text(line.kind),
        "status": _text(line.status),
        "reader": line.reader_id,
        "title": None if title is None else {
            "id": title.id, "title": _text(title.title),
            "authors": [_text(author) for author in title.authors],
            "format": _text(title.format), "language": _text(title.language)},
        "barcode": OrderLineOutputSerializer.get_barcode(None, line),
        "wish": OrderLineOutputSerializer.get_wish(None, line),
    }


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    reader = serializers.SerializerMethodField()
    family_card = serializers.SerializerMethodField()
    branch = serializers.IntegerField(source="branch_id")
    channel = serializers.CharField()
    preferred_date = serializers.DateField(allow_null=True)
    window_start = serializers.TimeField(allow_null=True, format="%H:%M")
    window_end = serializers.TimeField(allow_null=True, format="%H:%M")
    scheduled_date = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    lines = OrderLineOutputSerializer(many=True, source="lines.all")
    fail_reason = serializers.CharField()
    fail_note = serializers.CharField()
    failed_attempts = serializers.IntegerField()
    standing_plan = serializers.IntegerField(source="standing_plan_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_reader(self, obj) -> dict:
        return {"id": obj.reader_id, "card_number": obj.reader.card_number,
                "full_name": obj.reader.full_name}

    def get_family_card(self, obj) -> dict | None:
        if obj.family_card_id is None:
            return None
        return {"id": obj.family_card_id, "number": obj.family_card.number,
                "name": obj.family_card.name}

    def to_representation(self, instance):
        return {
            "id": instance.id,
            "status": _text(instance.status),
            "status_display": _text(instance.get_status_display()),
            "reader": self.get_reader(instance),
            "family_card": self.get_family_card(instance),
            "branch": instance.branch_id,
            "channel": _text(instance.channel),
            "preferred_date": _shown(_DATE, instance.preferred_date),
            "window_start": _shown(_HOUR, instance.window_start),
            "window_end": _shown(_HOUR, instance.window_end),
            "scheduled_date": _shown(_DATE, instance.scheduled_date),
            "note": _text(instance.note),
            "lines": [_line_dict(line) for line in instance.lines.all()],
            "fail_reason": _text(instance.fail_reason),
            "fail_note": _text(instance.fail_note),
            "failed_attempts": instance.failed_attempts,
            "standing_plan": instance.standing_plan_id,
            "created_at": _shown(_DATETIME, instance.created_at),
            "updated_at": _shown(_DATETIME, instance.updated_at),
        }


class PlanningOrderOutputSerializer(OrderOutputSerializer):
    """An order as a coordinator sees it: who, where, when and how many items, not which
    books (titles, formats and wishes tell about the reader's health)."""

    lines = None
    items = serializers.SerializerMethodField(
        help_text="How many lines the order has in each line status, e.g. {\"reserved\": 2}")

    def get_items(self, obj) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in obj.lines.all():
            counts[line.status] = counts.get(line.status, 0) + 1
        return counts

    def to_representation(self, instance):
        data = super().to_representation(instance)
        del data["lines"]
        data["items"] = self.get_items(instance)
        return data


class OrderEventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    by = serializers.CharField(allow_null=True)


class DeliverInputSerializer(serializers.Serializer):
    delivered = serializers.ListField(child=serializers.CharField(max_length=40), max_length=60)
    collected = serializers.ListField(child=serializers.CharField(max_length=40), required=False,
                                      default=list, max_length=100)


class FailInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FailReason.choices)
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)


class AssignInputSerializer(serializers.Serializer):
    barcode = serializers.CharField(max_length=40)
    allow_reread = serializers.BooleanField(
        default=False, help_text=_("Send even if the household read it within the window.")
    )


class SuggestionOutputSerializer(serializers.Serializer):
    title = TitleBriefSerializer()
    barcode = serializers.CharField(source="item.barcode")
    branch = serializers.IntegerField(source="item.branch_id")
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


class PickLineOutputSerializer(OrderLineOutputSerializer):
    order = serializers.IntegerField(source="order_id")
    order_status = serializers.CharField(source="order.status")
    preferred_date = serializers.DateField(source="order.preferred_date", allow_null=True)
    reader_name = serializers.CharField(source="reader.full_name")
    suggestions = serializers.SerializerMethodField()

    # Every field of its own and of the line's, field by field (not the line's plain dict).
    to_representation = serializers.Serializer.to_representation

    def get_suggestions(self, obj) -> list[dict]:
        from backend.orders.suggestions import suggest_for_line

        if obj.kind == "title":
            return []
        return SuggestionOutputSerializer(suggest_for_line(obj, limit=3), many=True).data


class CallInputSerializer(FieldsCopiedLean, serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    reader = serializers.PrimaryKeyRelatedField(queryset=Reader.objects.all(), required=False,
                                                allow_null=True)
    outcome = serializers.ChoiceField(choices=CallOutcome.choices)
    direction = serializers.ChoiceField(choices=CallLog.Direction.choices, default="in")
    duration_seconds = serializers.IntegerField(min_value=0, max_value=6 * 3600, default=0)
    note = serializers.CharField(allow_blank=True, required=False, default="")

    def validate_phone(self, value):
        from backend.core.phones import to_e164

        return to_e164(value) or value.strip()


class CallOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField()
    reader = serializers.IntegerField(source="reader_id", allow_null=True)
    operator = serializers.CharField(allow_null=True)
    direction = serializers.CharField()
    outcome = serializers.CharField()
    started_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id", allow_null=True)
    note = serializers.CharField()


class DeskLoanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    barcode = serializers.CharField()
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    issued_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    overdue = serializers.BooleanField()
    renewals = serializers.IntegerField()
    reader = serializers.IntegerField()


class DeskOrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    title = serializers.CharField(allow_null=True)
    wish = serializers.CharField(allow_null=True)


class DeskOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    preferred_date = serializers.DateField(allow_null=True)
    scheduled_date = serializers.DateField(allow_null=True)
    window_start = serializers.TimeField(allow_null=True)
    window_end = serializers.TimeField(allow_null=True)
    fail_reason = serializers.CharField()
    lines = DeskOrderLineSerializer(many=True)
    updated_at = serializers.DateTimeField()
    moved_note = serializers.CharField(
        required=False, help_text="A standing plan's visit moved off a public holiday: why.")


class DeskPauseSerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField()


class DeskPlanVisitSerializer(serializers.Serializer):
    date = serializers.DateField()
    window_start = serializers.TimeField(allow_null=True)
    window_end = serializers.TimeField(allow_null=True)
    moved_from = serializers.DateField(allow_null=True,
                                       help_text="The public holiday this visit moved from.")
    note = serializers.CharField(help_text="Why it moved, in words.")


class DeskPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rrule = serializers.CharField()
    rrule_text = serializers.CharField(help_text=RRULE_TEXT_HELP)
    window_start = serializers.TimeField()
    window_end = serializers.TimeField()
    items_per_visit = serializers.IntegerField()
    active = serializers.BooleanField()
    pauses = DeskPauseSerializer(many=True)
    next_visits = DeskPlanVisitSerializer(many=True)


class DeskWindowSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()


class DeskVisitDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    windows = DeskWindowSerializer(many=True)


class DeskMatchSerializer(serializers.Serializer):
    reader = serializers.DictField(help_text="The reader card as GET /readers/{id}/ shows it")
    loans = DeskLoanSerializer(many=True)
    due_back = DeskLoanSerializer(many=True)
    open_orders = DeskOrderSerializer(many=True)
    last_visits = DeskOrderSerializer(many=True)
    standing_plans = DeskPlanSerializer(many=True)
    preferences = serializers.DictField()
    next_visit_dates = DeskVisitDateSerializer(many=True)


class DeskLookupOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="The number in E.164")
    matches = DeskMatchSerializer(many=True)
    family_cards = serializers.ListField(child=serializers.DictField())
