"""Titles and their copies (items)."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.catalog.isbn import validate_isbn
from backend.core.models import TimeStampedModel


class Format(models.TextChoices):
    PRINT = "print", _("Print")
    LARGE_PRINT = "large_print", _("Large print")
    AUDIO = "audio", _("Audio")
    BRAILLE = "braille", _("Braille")
    PERIODICAL = "periodical", _("Periodical")


class TitleLanguage(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other")


class AgeRating(models.TextChoices):
    ALL = "0+", "0+"
    SIX = "6+", "6+"
    TWELVE = "12+", "12+"
    SIXTEEN = "16+", "16+"
    EIGHTEEN = "18+", "18+"


class Title(TimeStampedModel):
    title = models.CharField(_("title"), max_length=500)
    authors = models.JSONField(_("authors"), default=list, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=TitleLanguage.choices, default=TitleLanguage.RUSSIAN
    )
    format = models.CharField(_("format"), max_length=12, choices=Format.choices,
                              default=Format.PRINT)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True, db_index=True,
                            validators=[validate_isbn])
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True,
        validators=[MinValueValidator(1000), MaxValueValidator(2100)],
    )
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    age_rating = models.CharField(_("age rating"), max_length=3, choices=AgeRating.choices,
                                  blank=True)
    annotation = models.TextField(_("annotation"), blank=True)
    search_text = models.CharField(max_length=1000, blank=True, editable=False, db_index=True)
    # core.text.search_key of search_text: title and authors however they are typed.
    search_key = models.CharField(max_length=1200, blank=True, editable=False)
    # "|поэзия|история|": folded subjects, so a subject filter is one indexed-friendly LIKE.
    subjects_key = models.CharField(max_length=1000, blank=True, editable=False)

    class Meta:
        verbose_name = _("title")
        verbose_name_plural = _("titles")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["language", "format"])]

    def __str__(self) -> str:
        authors = ", ".join(self.authors or [])
        return f"{authors}. {self.title}" if authors else self.title

    @property
    def authors_display(self) -> str:
        return ", ".join(self.authors or [])


class ItemStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    RESERVED = "reserved", _("Reserved")
    ON_LOAN = "on_loan", _("On loan")
    IN_TRANSIT = "in_transit", _("In transit")
    LOST = "lost", _("Lost")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Item(TimeStampedModel):
    """One physical copy, known by its barcode."""

    title = models.ForeignKey(Title, verbose_name=_("title"), on_delete=models.PROTECT,
                              related_name="items")
    barcode = models.CharField(_("barcode"), max_length=40, unique=True)
    branch = models.ForeignKey("branches.Branch", verbose_name=_("branch"),
                               on_delete=models.PROTECT, related_name="items")
    status = models.CharField(_("status"), max_length=12, choices=ItemStatus.choices,
                              default=ItemStatus.AVAILABLE)
    shelf_mark = models.CharField(_("shelf mark"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)

    class Meta:
        verbose_name = _("copy")
        verbose_name_plural = _("copies")
        ordering = ["barcode"]
        indexes = [models.Index(fields=["title", "status"]),
                   models.Index(fields=["branch", "status"])]

    def __str__(self) -> str:
        return self.barcode
