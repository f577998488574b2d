"""The outbox: every SMS or call is a row first, written with the event that caused it.

Also here: the message templates librarians edit, the operator's inbox (replies, move
requests, incoming calls), the numbers that said STOP, and the log of replies received.
"""
import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.core.phones import mask


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


class VoiceMode(models.TextChoices):
    """How a call spoke (backend/notifications/voice.py)."""

    TTS = "tts", _("Audio from the text-to-speech service")
    PROMPTS = "prompts", _("Recorded prompts")
    SAY = "say", _("Twilio's Russian voice")


class Message(models.Model):
    """One message to one phone. `event_key` names the event that caused it, so one event
    never makes two messages.

    `claimed_at` is when the current attempt started; a row left in SENDING long after it
    (the worker died) has an unknown fate. So has a row whose last attempt timed out
    waiting for the provider's answer: `fate_unknown` says the provider's log must be
    looked at before the next attempt, so a message is never sent twice.
    """

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
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="messages")
    branch = models.ForeignKey("branches.Branch", verbose_name=_("branch"),
                               on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", help_text=_("Whose quiet hours apply."))
    context = models.JSONField(_("variables"), default=dict, blank=True)
    via_caregiver = models.BooleanField(_("sent to the caregiver"), default=False)
    claimed_at = models.DateTimeField(_("attempt started"), null=True, blank=True)
    fate_unknown = models.BooleanField(
        _("fate unknown"), default=False,
        help_text=_("The last attempt may have reached the provider: check its log first."))
    expires_at = models.DateTimeField(_("useless after"), null=True, blank=True)
    provider_status = models.CharField(_("provider status"), max_length=20, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    say_text = models.TextField(
        _("Russian text of the call"), blank=True,
        help_text=_("Said by Twilio's Russian voice when no audio in the reader's language "
                    "can be played."))
    voice_mode = models.CharField(_("the call spoke with"), max_length=7,
                                  choices=VoiceMode.choices, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "not_before"]),
                   models.Index(fields=["status", "claimed_at"], name="message_status_claimed")]

    def __str__(self) -> str:
        return f"{dict(TemplateCode.choices).get(self.template, self.template)} → {mask(self.to)}"


class TemplateCode(models.TextChoices):
    ORDER_CONFIRMED = "order_confirmed", _("Order confirmed")
    VISIT_TOMORROW = "visit_tomorrow", _("Visit tomorrow")
    VISIT_MOVED = "visit_moved", _("Visit moved")
    VISIT_CANCELLED = "visit_cancelled", _("Visit cancelled")
    ON_THE_WAY = "on_the_way", _("Volunteer on the way")
    ITEMS_DUE = "items_due", _("Items due back next visit")
    ROUTE_PUBLISHED = "route_published", _("Route published")
    ROUTE_CHANGED = "route_changed", _("Route changed")
    SIGN_IN_CODE = "sign_in_code", _("Sign-in code")
    CONCERN_RAISED = "concern_raised", _("Concern about a reader (to the duty phone)")
    CONCERN_CAREGIVER = "concern_caregiver", _("Concern about a reader (to the caregiver)")
    LINE_CANCELLED = "line_cancelled", _("An ordered title cannot be sent")
    VISIT_MOVED_HOLIDAY = "visit_moved_holiday", _("Visit moved off a public holiday")
    ROUTE_REVISED = "route_revised", _("Route re-planned")


# Which {variables} each template may use; the first set must all be there.
TEMPLATE_VARIABLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    TemplateCode.ORDER_CONFIRMED: (frozenset({"date", "window"}), frozenset({"name", "waiting"})),
    TemplateCode.VISIT_TOMORROW: (frozenset({"date", "window"}), frozenset({"name"})),
    TemplateCode.VISIT_MOVED: (frozenset({"date", "window"}), frozenset({"name"})),
    TemplateCode.VISIT_CANCELLED: (frozenset({"date"}), frozenset({"name"})),
    TemplateCode.ON_THE_WAY: (frozenset(), frozenset({"name", "volunteer", "time"})),
    TemplateCode.ITEMS_DUE: (frozenset({"date", "titles"}), frozenset({"name", "count"})),
    TemplateCode.ROUTE_PUBLISHED: (frozenset({"date"}),
                                   frozenset({"volunteer", "stops", "start", "link"})),
    TemplateCode.ROUTE_CHANGED: (frozenset({"date"}), frozenset({"volunteer", "stops"})),
    TemplateCode.SIGN_IN_CODE: (frozenset({"code"}), frozenset()),
    TemplateCode.CONCERN_RAISED: (frozenset({"reader", "kind"}),
                                  frozenset({"address", "volunteer", "phone", "card"})),
    TemplateCode.CONCERN_CAREGIVER: (frozenset({"name"}), frozenset({"kind", "branch_phone"})),
    TemplateCode.LINE_CANCELLED: (frozenset({"title"}), frozenset({"name"})),
    TemplateCode.VISIT_MOVED_HOLIDAY: (frozenset({"date", "window", "holiday"}),
                                       frozenset({"name", "moved_from"})),
    TemplateCode.ROUTE_REVISED: (frozenset({"date", "stops"}),
                                 frozenset({"volunteer", "added", "removed", "start"})),
}


class TemplateLanguage(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")


def template_variables(text: str) -> list[str]:
    """The {names} a template text uses, in order. Raises ValueError on a stray brace."""
    names = []
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field is not None:
            names.append(field)
    return names


class MessageTemplate(models.Model):
    """The text of one event's message in one language and channel. Librarians edit it
    in the admin; `{name}`-style variables are filled in when the message is written."""

    code = models.CharField(_("event"), max_length=30, choices=TemplateCode.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices,
                               default=Channel.SMS)
    language = models.CharField(_("language"), max_length=2, choices=TemplateLanguage.choices)
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["code", "channel", "language"],
                                    name="message_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.channel}, {self.language})"

    def clean(self) -> None:
        super().clean()
        if not self.code or self.code not in TEMPLATE_VARIABLES or not self.text:
            return
        try:
            used = template_variables(self.text)
        except ValueError:
            raise ValidationError({"text": _(
                "A brace is not closed. Variables are written like {date}; "
                "write {{ and }} for a brace itself.")}, code="template.bad_brace") from None
        required, optional = TEMPLATE_VARIABLES[self.code]
        unknown = [name for name in dict.fromkeys(used) if name not in required | optional]
        if unknown:
            raise ValidationError({"text": _(
                "Unknown variable {%(name)s}. This message can use: %(allowed)s.") % {
                "name": unknown[0],
                "allowed": ", ".join(f"{{{n}}}" for n in sorted(required | optional)),
            }}, code="template.unknown_variable")
        missing = sorted(required - set(used))
        if missing:
            raise ValidationError({"text": _(
                "The variable {%(name)s} is missing: the message must say it.") % {
                "name": missing[0]}}, code="template.missing_variable")


class InboxKind(models.TextChoices):
    MOVE_REQUEST = "move_request", _("Asks to move a visit")
    MESSAGE = "message", _("Message")
    CALL = "call", _("Incoming call")
    CONCERN = "concern", _("Concern about a reader")
    NEW_CARD = "new_card", _("New card to complete")


class InboxStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class InboxItem(models.Model):
    """Something an operator has to look at: a reply that is not a plain 1 or 2, a
    request to move a visit, an incoming call (the screen pop)."""

    kind = models.CharField(_("kind"), max_length=15, choices=InboxKind.choices)
    status = models.CharField(_("status"), max_length=5, choices=InboxStatus.choices,
                              default=InboxStatus.OPEN)
    urgent = models.BooleanField(_("urgent"), default=False,
                                 help_text=_("Shown before everything else (concerns)."))
    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="inbox_items")
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="inbox_items")
    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    text = models.TextField(_("text"), blank=True)
    provider_id = models.CharField(_("provider id"), max_length=64, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("operator inbox")
        ordering = ["-urgent", "-created_at", "-id"]
        indexes = [models.Index(fields=["status", "kind", "created_at"])]
        constraints = [
            # Twilio retries a webhook it did not hear back from: one item per SMS or call.
            models.UniqueConstraint(fields=["provider_id"], condition=~Q(provider_id=""),
                                    name="inbox_one_per_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.phone}"


class PhoneOptOut(models.Model):
    """A number that said STOP: nothing is sent to it until it says START."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    keyword = models.CharField(_("word"), max_length=40, blank=True)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("refused number")
        verbose_name_plural = _("refused numbers")
        ordering = ["-at"]

    def __str__(self) -> str:
        return self.number


class InboundAction(models.TextChoices):
    CONFIRMED = "confirmed", _("Visit confirmed")
    MOVE_REQUEST = "move_request", _("Asks to move the visit")
    OPT_OUT = "opt_out", _("Refused messages")
    OPT_IN = "opt_in", _("Messages again")
    INBOX = "inbox", _("To the operator")


class InboundSms(models.Model):
    """Every SMS a reader sent us and what was done with it."""

    provider_id = models.CharField(_("provider id"), max_length=64, unique=True)
    phone = models.CharField(_("from"), max_length=20, db_index=True)
    text = models.TextField(_("text"), blank=True)
    action = models.CharField(_("action"), max_length=15, choices=InboundAction.choices)
    reader = models.ForeignKey("readers.Reader", verbose_name=_("reader"),
                               on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"


class BranchMessaging(models.Model):
    """A branch's own messaging choices (empty means the setting's default)."""

    branch = models.OneToOneField("branches.Branch", verbose_name=_("branch"),
                                  on_delete=models.CASCADE, related_name="messaging")
    on_the_way = models.BooleanField(
        _("tell readers the volunteer is on the way"), null=True, blank=True,
        help_text=_("Sent when the volunteer arrives at the previous stop."))

    class Meta:
        verbose_name = _("branch messaging")
        verbose_name_plural = _("branch messaging")

    def __str__(self) -> str:
        return str(self.branch)
