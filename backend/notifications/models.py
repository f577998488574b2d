"""The outbox: every SMS or call is a row first, written with the event that caused it."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Message(models.Model):
    """One message to one phone. `event_key` names the event that caused it, so one event
    never makes two messages."""

    event_key = models.CharField(_("event"), max_length=200, unique=True)
    template = models.CharField(_("template"), max_length=50)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices,
                               default=Channel.SMS)
    language = models.CharField(_("language"), max_length=2, default="ru")
    to = models.CharField(_("to"), max_length=20, db_index=True)
    reader = models.ForeignKey("readers.Reader", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="messages")
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices,
                              default=MessageStatus.QUEUED, db_index=True)
    not_before = models.DateTimeField(_("not before"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider id"), max_length=64, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.template} → {self.to}"
