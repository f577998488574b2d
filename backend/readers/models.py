"""Reader cards and family cards: who is served at home, where, and how."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from phonenumber_field.modelfields import PhoneNumberField

from backend.core.dates import validate_calendar_date, validate_past_date
from backend.core.models import TimeStampedModel
from backend.core.text import (
    validate_address_number,
    validate_person_name,
    validate_plain_text,
)


class Category(models.TextChoices):
    ELDERLY = "elderly", _("Elderly")
    DISABILITY_1 = "disability_1", _("Disability, group I")
    DISABILITY_2 = "disability_2", _("Disability, group II")
    DISABILITY_3 = "disability_3", _("Disability, group III")
    CHILD_DISABILITY = "child_disability", _("Child with a disability")
    HOUSEBOUND = "housebound", _("Temporarily housebound")
    VETERAN = "veteran", _("Veteran")
    OTHER = "other", _("Other")


class ReaderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class Language(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    CAREGIVER = "caregiver", _("Caregiver")


class DocumentType(models.TextChoices):
    DISABILITY_CERTIFICATE = "disability_certificate", _("Disability certificate")
    PENSION_CERTIFICATE = "pension_certificate", _("Pension certificate")
    MEDICAL_REPORT = "medical_report", _("Medical report")
    VETERAN_CERTIFICATE = "veteran_certificate", _("Veteran certificate")
    OTHER = "other", _("Other document")


class GeocodeStatus(models.TextChoices):
    PENDING = "pending", _("Not looked up")
    FOUND = "found", _("Found by the geocoder")
    NOT_FOUND = "not_found", _("Not found by the geocoder")
    AMBIGUOUS = "ambiguous", _("Several places found: choose one")
    UNAVAILABLE = "unavailable", _("Geocoder unavailable: will try again")
    MANUAL = "manual", _("Entered by hand")


def address_line_of(settlement: str, street: str, house: str, apartment: str) -> str:
    """An address in one line, in the active language (Address.address_line); from the
    columns alone for reads that build no card object."""
    line = ", ".join(p for p in (settlement, street, house) if p)
    if apartment:
        line += f", {_('apt.')} {apartment}"
    return line


def full_name_of(last_name: str, first_name: str, patronymic: str) -> str:
    """A reader's name as cards show it (Reader.full_name), from the columns alone."""
    return " ".join(p for p in (last_name, first_name, patronymic) if p)


class Address(models.Model):
    """Where a volunteer comes to. Shared by reader cards and family cards."""

    settlement = models.CharField(_("settlement"), max_length=120, blank=True,
                                  validators=[validate_plain_text])
    street = models.CharField(_("street"), max_length=160, blank=True,
                              validators=[validate_plain_text])
    house = models.CharField(_("house"), max_length=20, blank=True,
                             validators=[validate_address_number])
    apartment = models.CharField(_("apartment"), max_length=20, blank=True,
                                 validators=[validate_address_number])
    entrance = models.CharField(_("entrance"), max_length=10, blank=True,
                                validators=[validate_address_number])
    floor = models.SmallIntegerField(
        _("floor"), null=True, blank=True,
        validators=[MinValueValidator(-5), MaxValueValidator(100)],
    )
    door_code = models.CharField(_("door code"), max_length=20, blank=True,
                                 validators=[validate_plain_text])
    elevator = models.BooleanField(_("elevator"), null=True, blank=True)
    landmark = models.CharField(_("landmark"), max_length=250, blank=True,
                                validators=[validate_plain_text])
    lat = models.FloatField(
        _("latitude"), null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        _("longitude"), null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    # Where the coordinates came from (backend/readers/geocoding.py); typed ones are kept.
    geocode_status = models.CharField(
        _("coordinates"), max_length=12, choices=GeocodeStatus.choices,
        default=GeocodeStatus.PENDING,
    )
    geocode_candidates = models.JSONField(
        _("places the geocoder found"), default=list, blank=True,
        help_text=_("When the address is ambiguous: the places to choose from."),
    )

    ADDRESS_FIELDS = (
        "settlement", "street", "house", "apartment", "entrance", "floor",
        "door_code", "elevator", "landmark", "lat", "lon",
    )

    class Meta:
        abstract = True

    def address_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.ADDRESS_FIELDS}

    @property
    def address_line(self) -> str:
        return address_line_of(self.settlement, self.street, self.house, self.apartment)


class FamilyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class FamilyCard(Address, TimeStampedModel):
    """One household at one address, served in one visit, with a shared loan limit."""

    number = models.CharField(_("family card number"), max_length=20, unique=True, blank=True)
    name = models.CharField(_("household name"), max_length=200,
                            validators=[validate_person_name])
    branch = models.ForeignKey(
        "branches.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
        related_name="family_cards",
    )
    head = models.ForeignKey(
        "readers.Reader", verbose_name=_("head of household"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FamilyStatus.choices, default=FamilyStatus.OPEN
    )
    loan_limit = models.PositiveSmallIntegerField(
        _("shared limit of items on loan"), default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    access_notes = models.TextField(_("notes for volunteers"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    anonymized_at = models.DateTimeField(_("anonymized"), null=True, blank=True)

    class Meta:
        verbose_name = _("family card")
        verbose_name_plural = _("family cards")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["branch", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.name}".strip()


class Reader(Address, TimeStampedModel):
    """A reader card (читательский формуляр)."""

    card_number = models.CharField(_("card number"), max_length=20, unique=True, blank=True)
    branch = models.ForeignKey(
        "branches.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
        related_name="readers",
    )
    last_name = models.CharField(_("last name"), max_length=100,
                                 validators=[validate_person_name])
    first_name = models.CharField(_("first name"), max_length=100,
                                  validators=[validate_person_name])
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True,
                                  validators=[validate_person_name])
    birth_date = models.DateField(_("birth date"), null=True, blank=True,
                                  validators=[validate_past_date])
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ReaderStatus.choices, default=ReaderStatus.ACTIVE
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.RUSSIAN
    )
    family_card = models.ForeignKey(
        FamilyCard, verbose_name=_("family card"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="members",
    )
    access_notes = models.TextField(_("notes for volunteers"), blank=True)
    preferences = models.JSONField(_("preferences"), default=dict, blank=True)
    availability = models.JSONField(_("when at home"), default=list, blank=True)

    caregiver_name = models.CharField(_("caregiver"), max_length=200, blank=True,
                                      validators=[validate_person_name])
    caregiver_relation = models.CharField(_("caregiver is"), max_length=100, blank=True,
                                          validators=[validate_plain_text])
    caregiver_phone = PhoneNumberField(_("caregiver phone"), blank=True)

    # Sensitive: seen by librarians only.
    document_type = models.CharField(
        _("eligibility document"), max_length=30, choices=DocumentType.choices, blank=True
    )
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    document_valid_until = models.DateField(_("document valid until"), null=True, blank=True,
                                            validators=[validate_calendar_date])

    consent_date = models.DateField(_("consent to personal data processing"), null=True,
                                    blank=True, validators=[validate_past_date])
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("consent recorded by"),
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    search_text = models.CharField(max_length=500, blank=True, editable=False, db_index=True)
    # core.text.search_key of search_text: the name however it is typed (Kazakh letters or
    # not, Latin). On PostgreSQL trigram indexes serve the LIKE on both (migration 0012).
    search_key = models.CharField(max_length=600, blank=True, editable=False)
    contact_channel = models.CharField(
        _("how to send messages"), max_length=10, blank=True,
        choices=[("sms", _("SMS")), ("voice", _("Voice call")),
                 ("caregiver", _("To the caregiver"))],
        help_text=_("Empty: SMS, or a voice call for readers of audio or Braille books."),
    )
    messages_opt_out_at = models.DateTimeField(_("refused messages"), null=True, blank=True)
    anonymized_at = models.DateTimeField(
        _("anonymized"), null=True, blank=True,
        help_text=_("Personal data was erased; the card stays for the statistics."),
    )

    class Meta:
        verbose_name = _("reader")
        verbose_name_plural = _("readers")
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["branch", "status"]),
            models.Index(fields=["category"]),
            models.Index(fields=["settlement"]),
            # The duplicate check looks cards up by birth date (with a phone or the name).
            models.Index(fields=["birth_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ReaderStatus.ACTIVE) | Q(consent_date__isnull=False),
                name="reader_active_needs_consent",
                violation_error_message=_("A card cannot be active without consent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.card_number})"

    @property
    def full_name(self) -> str:
        return full_name_of(self.last_name, self.first_name, self.patronymic)

    @property
    def category_codes(self) -> list[str]:
        """Every category of the card: the main one first, then the others in the order of
        Category. Reads the prefetched `category_rows` when there are (reader_queryset)."""
        others = {row.category for row in self.category_rows.all()} if self.pk else set()
        return categories_ordered(self.category, others)

    @property
    def category_labels(self) -> list[str]:
        """The categories in words (the reader's language of the page), main one first."""
        labels = dict(Category.choices)
        return [str(labels.get(code, code)) for code in self.category_codes]


def categories_ordered(main: str, codes) -> list[str]:
    """`main` first (when given), then the other codes once each, in the order of Category."""
    rest = [code for code in Category.values if code in set(codes) and code != main]
    return [main, *rest] if main else rest


class ReaderCategory(models.Model):
    """One category of a reader (a pensioner with a disability group has two).

    The card's main category stays in Reader.category (what the API always had); this
    table holds all of them, the main one included, one row each, so that filtering and
    counting by category is a plain indexed lookup on SQLite and PostgreSQL alike.
    """

    reader = models.ForeignKey(
        Reader, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="category_rows"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)

    class Meta:
        verbose_name = _("reader category")
        verbose_name_plural = _("reader categories")
        ordering = ["reader", "category"]
        indexes = [models.Index(fields=["category", "reader"])]
        constraints = [
            models.UniqueConstraint(fields=["reader", "category"],
                                    name="reader_category_unique"),
        ]

    def __str__(self) -> str:
        return self.get_category_display()


# A card keeps a few numbers to call (the reader's, home, a caregiver's, a neighbour's), not
# a directory: more is refused by the API, the admin and the import alike.
MAX_PHONES = 5
TOO_MANY_PHONES = "reader.too_many_phones"


def too_many_phones(count: int) -> str | None:
    """The message for a card given `count` phones when that is over the limit, or None."""
    if count <= MAX_PHONES:
        return None
    return ngettext("A card keeps at most %(limit)d phone.",
                    "A card keeps at most %(limit)d phones.", MAX_PHONES) % {"limit": MAX_PHONES}


class ReaderPhone(models.Model):
    reader = models.ForeignKey(
        Reader, verbose_name=_("reader"), on_delete=models.CASCADE, related_name="phones"
    )
    number = PhoneNumberField(_("number"), db_index=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE
    )
    sms_ok = models.BooleanField(_("SMS allowed"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "number"], name="reader_phone_unique"),
        ]

    def __str__(self) -> str:
        return str(self.number)


class CardChange(models.Model):
    """One change to a reader card or a family card: who, when, which fields, old and new."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        IMPORTED = "imported", _("Imported")
        CLOSED = "closed", _("Closed")
        ANONYMIZED = "anonymized", _("Anonymized")

    reader = models.ForeignKey(
        Reader, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    family_card = models.ForeignKey(
        FamilyCard, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("card change")
        verbose_name_plural = _("card history")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reader__isnull=False) | Q(family_card__isnull=False),
                name="card_change_has_card",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class CardAccess(models.Model):
    """Who was shown which cards, when and where: the answer to "who has seen my data?".

    One row per request that showed cards' personal data (a card opened, a list, a search, a
    reading history, a day plan naming readers, an export), naming every card it showed in
    `readers` and `family_cards`: one INSERT and one bulk INSERT of links, however many cards.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Opened the card")
        HISTORY = "history", _("Opened the card's history")
        LOOKUP = "lookup", _("Found by phone at the desk")
        EXPORT = "export", _("Exported cards")
        LIST = "list", _("Shown in a list")
        SEARCH = "search", _("Found by a search")
        READING = "reading", _("Opened the reading history or loans")
        ROUTE = "route", _("Shown on a day plan or route")

    class Channel(models.TextChoices):
        API = "api", _("API")
        DESK = "desk", _("Phone desk")
        ADMIN = "admin", _("Admin")
        PAGES = "pages", _("Planning and report pages")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    readers = models.ManyToManyField(
        Reader, verbose_name=_("readers"), blank=True, related_name="card_accesses",
    )
    family_cards = models.ManyToManyField(
        FamilyCard, verbose_name=_("family cards"), blank=True, related_name="card_accesses",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    channel = models.CharField(_("where"), max_length=5, choices=Channel.choices)
    path = models.CharField(_("page"), max_length=200, blank=True, default="")
    count = models.PositiveIntegerField(_("cards"), default=1)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("card access")
        verbose_name_plural = _("card access log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
