"""Reader and family card shapes for the staff API, import and export."""
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.branches.models import Branch
from backend.catalog.models import Format
from backend.core import dates
from backend.core.roles import Role, has_role
from backend.core.serializers import BoundedDateField, IdField, PhoneField
from backend.core.text import (
    validate_address_number,
    validate_person_name,
    validate_plain_text,
)
from backend.readers.models import (
    MAX_PHONES,
    TOO_MANY_PHONES,
    Category,
    DocumentType,
    FamilyCard,
    FamilyStatus,
    Language,
    PhoneKind,
    Reader,
    ReaderStatus,
    too_many_phones,
)

FORMAT_CHOICES = Format.choices


def can_see_documents(user) -> bool:
    return has_role(user, Role.LIBRARIAN)


# What each role reads on a reader card (DESIGN.md, "Who sees what"). Librarians keep the
# cards and see all of them. Operators take orders on the phone: the whole card (the birth
# year tells two callers of one household apart) but the eligibility document. Coordinators
# plan routes: who, where, how to get in, whom to call and when someone is at home; not the
# birth date, the category (a disability group), the reading formats (Braille, audio and
# large print say something about health), the consent record or the document.
DOCUMENT_CARD_FIELDS = frozenset({"document"})
PLANNING_HIDDEN_CARD_FIELDS = frozenset(
    {"birth_date", "category", "category_display", "categories", "categories_display",
     "preferences", "consent", "document"}
)
# The history's field names behind each card field a role may not see.
CARD_HISTORY_FIELDS = {
    "birth_date": ("birth_date",),
    "category": ("category",),
    "categories": ("categories",),
    "preferences": ("preferences",),
    "consent": ("consent_date",),
    "document": ("document_type", "document_number", "document_valid_until"),
}


def hidden_card_fields(user) -> frozenset[str]:
    """The reader-card fields `user` does not see; anyone without a staff role sees the
    least (the coordinator's card)."""
    if has_role(user, Role.LIBRARIAN):
        return frozenset()
    if has_role(user, Role.OPERATOR):
        return DOCUMENT_CARD_FIELDS
    return PLANNING_HIDDEN_CARD_FIELDS


def hidden_history_fields(user) -> frozenset[str]:
    """The card-history fields whose values `user` sees as ***."""
    return frozenset(
        name for field in hidden_card_fields(user) for name in CARD_HISTORY_FIELDS.get(field, ())
    )


class PhoneListSerializer(serializers.ListSerializer):
    """A card's phones: at most MAX_PHONES, refused before any number is read. The error
    names the first phone over the limit, as DRF names a bad item: `phones[5]`."""

    def to_internal_value(self, data):
        if isinstance(data, list):
            message = too_many_phones(len(data))
            if message:
                raise serializers.ValidationError([{}] * MAX_PHONES + [[message]],
                                                  code=TOO_MANY_PHONES)
        return super().to_internal_value(data)


class PhoneSerializer(serializers.Serializer):
    number = PhoneField()
    kind = serializers.ChoiceField(choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    sms_ok = serializers.BooleanField(default=True)

    class Meta:
        list_serializer_class = PhoneListSerializer


class AddressSerializer(serializers.Serializer):
    settlement = serializers.CharField(max_length=120, allow_blank=True, required=False,
                                       validators=[validate_plain_text])
    street = serializers.CharField(max_length=160, allow_blank=True, required=False,
                                   validators=[validate_plain_text])
    house = serializers.CharField(max_length=20, allow_blank=True, required=False,
                                  validators=[validate_address_number])
    apartment = serializers.CharField(max_length=20, allow_blank=True, required=False,
                                      validators=[validate_address_number])
    entrance = serializers.CharField(max_length=10, allow_blank=True, required=False,
                                     validators=[validate_address_number])
    floor = serializers.IntegerField(min_value=-5, max_value=100, allow_null=True, required=False)
    door_code = serializers.CharField(max_length=20, allow_blank=True, required=False,
                                      validators=[validate_plain_text])
    elevator = serializers.BooleanField(allow_null=True, required=False)
    landmark = serializers.CharField(max_length=250, allow_blank=True, required=False,
                                     validators=[validate_plain_text])
    lat = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False)
    lon = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lon" in attrs) or (
            (attrs.get("lat") is None) != (attrs.get("lon") is None)
        ):
            raise serializers.ValidationError(
                {"lat": [_("Give both latitude and longitude, or neither.")]},
                code="invalid",
            )
        return attrs


class PreferencesSerializer(serializers.Serializer):
    subjects = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )
    authors = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=FORMAT_CHOICES), required=False, default=list
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices), required=False, default=list
    )
    never_send = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list,
        help_text=_("Titles never to send (title or ISBN)."),
    )


class AvailabilitySerializer(serializers.Serializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday"
    )
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")

    def validate(self, attrs):
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError(
                {"end": [_("The end must be later than the start.")]}, code="invalid"
            )
        return attrs

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {
            "weekday": value["weekday"],
            "start": value["start"].strftime("%H:%M"),
            "end": value["end"].strftime("%H:%M"),
        }


class CaregiverSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, required=False,
                                 validators=[validate_person_name])
    relation = serializers.CharField(max_length=100, allow_blank=True, required=False,
                                     validators=[validate_plain_text])
    phone = PhoneField(allow_blank=True, required=False)


class DocumentSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=DocumentType.choices, allow_blank=True, required=False)
    number = serializers.CharField(max_length=60, allow_blank=True, required=False)
    valid_until = BoundedDateField(bounds=dates.DOCUMENT, allow_null=True, required=False)


class ConsentSerializer(serializers.Serializer):
    date = BoundedDateField(bounds=dates.PAST, allow_null=True)
    recorded_by = serializers.CharField(read_only=True)


class ReaderInputSerializer(serializers.Serializer):
    """What a librarian writes on a card. Nested groups become flat model fields."""

    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all())
    last_name = serializers.CharField(max_length=100, validators=[validate_person_name])
    first_name = serializers.CharField(max_length=100, validators=[validate_person_name])
    patronymic = serializers.CharField(max_length=100, allow_blank=True, required=False,
                                       validators=[validate_person_name])
    birth_date = BoundedDateField(bounds=dates.PAST, allow_null=True, required=False)
    category = serializers.ChoiceField(
        choices=Category.choices, help_text=_("The card's main category."))
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), required=False,
        max_length=len(Category.values),
        help_text=_("All the reader's categories (a pensioner with a disability group has "
                    "two); the main category is always among them, added if left out."))
    status = serializers.ChoiceField(choices=ReaderStatus.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    phones = PhoneSerializer(many=True, required=False)
    address = AddressSerializer(required=False)
    access_notes = serializers.CharField(allow_blank=True, required=False)
    preferences = PreferencesSerializer(required=False)
    availability = AvailabilitySerializer(many=True, required=False)
    caregiver = CaregiverSerializer(required=False)
    document = DocumentSerializer(required=False)
    consent = ConsentSerializer(required=False)
    contact_channel = serializers.ChoiceField(
        choices=Reader._meta.get_field("contact_channel").choices, allow_blank=True,
        required=False,
        help_text=_("Empty: SMS, or a voice call for readers of audio or Braille books."),
    )

    def to_flat(self) -> dict:
        """The validated data as the service's flat field names."""
        data = dict(self.validated_data)
        flat: dict = {}
        for key, value in data.items():
            if key == "address":
                flat.update(value)
            elif key == "caregiver":
                for sub, target in (("name", "caregiver_name"), ("relation", "caregiver_relation"),
                                    ("phone", "caregiver_phone")):
                    if sub in value:
                        flat[target] = value[sub]
            elif key == "document":
                for sub, target in (("type", "document_type"), ("number", "document_number"),
                                    ("valid_until", "document_valid_until")):
                    if sub in value:
                        flat[target] = value[sub]
            elif key == "consent":
                flat["consent_date"] = value.get("date")
            elif key == "preferences":
                flat["preferences"] = {k: list(v) for k, v in value.items()}
            elif key == "availability":
                flat["availability"] = list(value)
            elif key == "phones":
                flat["phones"] = [dict(p) for p in value]
            elif key == "categories":
                flat["categories"] = list(dict.fromkeys(value))
            else:
                flat[key] = value
        return flat


class ReaderCreateInputSerializer(ReaderInputSerializer):
    """A new card. A card that may be the same person as an open card is refused (409,
    `reader.possible_duplicate`) unless `confirm_duplicate` says it is another person."""

    confirm_duplicate = serializers.BooleanField(
        required=False, default=False,
        help_text=_("true: create the card although an open card has the same birth date "
                    "and phone or name (it is a different person)."))

    def to_flat(self) -> dict:
        flat = super().to_flat()
        flat.pop("confirm_duplicate", None)
        return flat


class FamilyBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()


class ReaderConsentOutputSerializer(serializers.Serializer):
    date = serializers.DateField(source="consent_date", allow_null=True)
    recorded_by = serializers.CharField(source="consent_recorded_by", allow_null=True)


class ReaderDocumentOutputSerializer(serializers.Serializer):
    type = serializers.CharField(source="document_type")
    number = serializers.CharField(source="document_number")
    valid_until = serializers.DateField(source="document_valid_until", allow_null=True)


class ReaderOutputSerializer(serializers.Serializer):
    """A reader card. What a role does not see (`hidden_card_fields`) is left out."""

    id = serializers.IntegerField()
    card_number = serializers.CharField()
    last_name = serializers.CharField()
    first_name = serializers.CharField()
    patronymic = serializers.CharField()
    full_name = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True, required=False,
                                       help_text=_("Librarians and operators only."))
    category = serializers.CharField(required=False,
                                     help_text=_("Librarians and operators only."))
    category_display = serializers.CharField(source="get_category_display", required=False,
                                             help_text=_("Librarians and operators only."))
    categories = serializers.ListField(
        source="category_codes", child=serializers.CharField(), required=False,
        help_text=_("Every category of the reader, the main one first. Librarians and "
                    "operators only."))
    categories_display = serializers.ListField(
        source="category_labels", child=serializers.CharField(), required=False,
        help_text=_("The categories in words. Librarians and operators only."))
    status = serializers.CharField()
    language = serializers.CharField()
    branch = serializers.IntegerField(source="branch_id")
    branch_name = serializers.CharField(source="branch.name")
    phones = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    delivery_address = serializers.SerializerMethodField()
    geocode_status = serializers.CharField(
        help_text=_("Where the coordinates come from: pending, found, not_found, ambiguous, "
                    "unavailable, manual."))
    geocode_status_display = serializers.CharField(source="get_geocode_status_display")
    geocode_candidates = serializers.JSONField(
        help_text=_("When ambiguous: the places found, to choose one."))
    access_notes = serializers.CharField()
    preferences = serializers.JSONField(required=False,
                                        help_text=_("Librarians and operators only."))
    availability = serializers.JSONField()
    caregiver = serializers.SerializerMethodField()
    family_card = serializers.SerializerMethodField()
    consent = ReaderConsentOutputSerializer(source="*", required=False,
                                            help_text=_("Librarians and operators only."))
    document = ReaderDocumentOutputSerializer(source="*", required=False,
                                              help_text=_("Librarians only."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    contact_channel = serializers.CharField()

    def get_phones(self, obj) -> list[dict]:
        return [
            {"number": str(p.number), "kind": p.kind, "sms_ok": p.sms_ok}
            for p in obj.phones.all()
        ]

    def get_address(self, obj) -> dict:
        return obj.address_dict()

    def get_delivery_address(self, obj) -> dict:
        from backend.readers.selectors import delivery_address

        return delivery_address(obj)

    def get_caregiver(self, obj) -> dict:
        return {
            "name": obj.caregiver_name,
            "relation": obj.caregiver_relation,
            "phone": str(obj.caregiver_phone) if obj.caregiver_phone else "",
        }

    def get_family_card(self, obj) -> dict | None:
        family = obj.family_card
        if family is None:
            return None
        return {"id": family.id, "number": family.number, "name": family.name,
                "status": family.status, "is_head": family.head_id == obj.id}

    def get_fields(self):
        # A field the role may not see is left out of the answer, not sent as null. The
        # schema (drf-spectacular's mock view) declares every field.
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not getattr(self.context.get("view"), "swagger_fake_view",
                                               False):
            for name in hidden_card_fields(request.user):
                fields.pop(name, None)
        return fields

    def to_representation(self, instance):
        # The card as a plain dict, in the fields' order and shapes (the fields above are
        # the schema): building the ~30 field objects of a card cost more than the card.
        request = self.context.get("request")
        # Nobody to ask (a task, a shell): the least any staff role sees.
        hidden = PLANNING_HIDDEN_CARD_FIELDS if request is None \
            else hidden_card_fields(request.user)
        data = _reader_card(self, instance)
        for name in hidden:
            data.pop(name, None)
        return data


_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def _text(value) -> str | None:
    return None if value is None else str(value)


def _date(value, field=_DATE) -> str | None:
    return None if value is None else field.to_representation(value)


# The labels of the card's choice fields, as get_<field>_display() reads them (its dict of
# the field's choices, made once here rather than at each call; the labels are translated
# when shown).
_CHOICE_LABELS = {name: dict(Reader._meta.get_field(name).flatchoices)
                  for name in ("category", "geocode_status")}


def _display(name: str, value) -> str | None:
    """`reader.get_<name>_display()` of a card whose `name` is `value`."""
    return force_str(_CHOICE_LABELS[name].get(value, value), strings_only=True)


def _reader_card(serializer: ReaderOutputSerializer, reader) -> dict:
    """What ReaderOutputSerializer's fields give for `reader`, every field."""
    return {
        "id": reader.id,
        "card_number": _text(reader.card_number),
        "last_name": _text(reader.last_name),
        "first_name": _text(reader.first_name),
        "patronymic": _text(reader.patronymic),
        "full_name": _text(reader.full_name),
        "birth_date": _date(reader.birth_date),
        "category": _text(reader.category),
        "category_display": _text(_display("category", reader.category)),
        "categories": [_text(code) for code in reader.category_codes],
        "categories_display": [_text(label) for label in reader.category_labels],
        "status": _text(reader.status),
        "language": _text(reader.language),
        "branch": reader.branch_id,
        "branch_name": _text(reader.branch.name),
        "phones": serializer.get_phones(reader),
        "address": serializer.get_address(reader),
        "delivery_address": serializer.get_delivery_address(reader),
        "geocode_status": _text(reader.geocode_status),
        "geocode_status_display": _text(_display("geocode_status", reader.geocode_status)),
        "geocode_candidates": reader.geocode_candidates,
        "access_notes": _text(reader.access_notes),
        "preferences": reader.preferences,
        "availability": reader.availability,
        "caregiver": serializer.get_caregiver(reader),
        "family_card": serializer.get_family_card(reader),
        "consent": {"date": _date(reader.consent_date),
                    "recorded_by": _text(reader.consent_recorded_by)},
        "document": {"type": _text(reader.document_type),
                     "number": _text(reader.document_number),
                     "valid_until": _date(reader.document_valid_until)},
        "created_at": _date(reader.created_at, _DATETIME),
        "updated_at": _date(reader.updated_at, _DATETIME),
        "contact_channel": _text(reader.contact_channel),
    }


class FamilyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, validators=[validate_person_name])
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all())
    head = serializers.PrimaryKeyRelatedField(
        queryset=Reader.objects.all(), allow_null=True, required=False
    )
    members = serializers.ListField(
        child=IdField(), required=False, max_length=30
    )
    loan_limit = serializers.IntegerField(min_value=1, max_value=200, required=False)
    status = serializers.ChoiceField(choices=FamilyStatus.choices, required=False)
    address = AddressSerializer(required=False)
    access_notes = serializers.CharField(allow_blank=True, required=False)

    def to_flat(self) -> dict:
        data = dict(self.validated_data)
        flat = {k: v for k, v in data.items() if k != "address"}
        flat.update(data.get("address", {}))
        return flat


class FamilyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    branch = serializers.IntegerField(source="branch_id")
    head = serializers.IntegerField(source="head_id", allow_null=True)
    status = serializers.CharField()
    loan_limit = serializers.IntegerField()
    address = serializers.SerializerMethodField()
    geocode_status = serializers.CharField(
        help_text=_("Where the coordinates come from: pending, found, not_found, ambiguous, "
                    "unavailable, manual."))
    geocode_status_display = serializers.CharField(source="get_geocode_status_display")
    geocode_candidates = serializers.JSONField(
        help_text=_("When ambiguous: the places found, to choose one."))
    access_notes = serializers.CharField()
    members = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_address(self, obj) -> dict:
        return obj.address_dict()

    def get_members(self, obj) -> list[dict]:
        return [
            {"id": r.id, "card_number": r.card_number, "full_name": r.full_name,
             "is_head": r.id == obj.head_id}
            for r in obj.members.all()
        ]


SENSITIVE_HISTORY_FIELDS = {"document_type", "document_number", "document_valid_until"}


class CardChangeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    def get_actor(self, obj) -> dict | None:
        if obj.actor is None:
            return None
        return {"id": obj.actor.id, "username": obj.actor.username, "name": str(obj.actor)}

    def get_changes(self, obj) -> dict:
        request = self.context.get("request")
        hidden = hidden_history_fields(getattr(request, "user", None))
        result = {}
        for field, (old, new) in obj.changes.items():
            if field in hidden:
                result[field] = {"old": "***" if old else old, "new": "***" if new else new}
            else:
                result[field] = {"old": old, "new": new}
        return result


class CardAccessReaderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    card_number = serializers.CharField()


class CardAccessFamilySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class CardAccessOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = serializers.SerializerMethodField()
    action = serializers.CharField()
    channel = serializers.CharField()
    readers = CardAccessReaderSerializer(many=True, source="readers.all",
                                         help_text="Every reader card the request showed")
    family_cards = CardAccessFamilySerializer(many=True, source="family_cards.all",
                                              help_text="Every family card the request showed")
    count = serializers.IntegerField(help_text="Cards shown (an export: cards exported)")
    path = serializers.CharField(help_text="The address that showed them")
    ip = serializers.CharField(allow_null=True)

    def get_user(self, obj) -> dict | None:
        if obj.user is None:
            return None
        return {"id": obj.user.id, "username": obj.user.username, "name": str(obj.user)}


__all__ = [
    "FamilyCard", "ReaderInputSerializer", "ReaderOutputSerializer", "FamilyInputSerializer",
    "FamilyOutputSerializer", "CardChangeOutputSerializer",
]
