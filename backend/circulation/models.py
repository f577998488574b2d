"""Loans (книговыдача): issued at the door, returned at a later visit or at the desk."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("On loan")
    RETURNED = "returned", _("Returned")
    LOST = "lost", _("Lost")


class ReturnChannel(models.TextChoices):
    DESK = "desk", _("At the desk")
    VISIT = "visit", _("Collected on a visit")


class Loan(models.Model):
    item = models.ForeignKey("catalog.Item", verbose_name=_("copy"), on_delete=models.PROTECT,
                             related_name="loans")
    title = models.ForeignKey("catalog.Title", verbose_name=_("title"),
                              on_delete=models.PROTECT, related_name="loans")
    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.PROTECT, related_name="loans")
    family_card = models.ForeignKey("readers.FamilyCard", verbose_name=_("family card"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="loans")
    branch = models.ForeignKey("branches.Branch", verbose_name=_("branch"),
                               on_delete=models.PROTECT, related_name="loans")
    order_line = models.ForeignKey("orders.OrderLine", verbose_name=_("order line"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="loans")
    status = models.CharField(_("status"), max_length=10, choices=LoanStatus.choices,
                              default=LoanStatus.ACTIVE)
    issued_at = models.DateTimeField(_("issued"), db_index=True)
    due_date = models.DateField(_("due"), db_index=True)
    renewals = models.PositiveSmallIntegerField(_("renewals"), default=0)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_channel = models.CharField(_("returned how"), max_length=5,
                                      choices=ReturnChannel.choices, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["reader", "status"]),
            models.Index(fields=["family_card", "status"]),
            models.Index(fields=["title", "issued_at"]),
            # The reports count a period's loans and their readers from these alone (on
            # PostgreSQL the columns they read are carried in the index: no table reads).
            models.Index(fields=["issued_at"], include=["reader", "branch"],
                         name="loan_issued_reader"),
            models.Index(fields=["branch", "issued_at"], include=["reader"],
                         name="loan_branch_issued_reader"),
            models.Index(fields=["returned_at"], include=["return_channel", "branch"],
                         name="loan_returned_channel"),
            models.Index(fields=["branch", "returned_at"], include=["return_channel"],
                         name="loan_branch_returned_channel"),
        ]
        constraints = [
            # A copy is on one active loan at most.
            models.UniqueConstraint(fields=["item"], condition=Q(status=LoanStatus.ACTIVE),
                                    name="loan_item_active_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.reader_id}"
