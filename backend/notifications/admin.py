"""The librarians' side of messaging: templates to edit, the outbox to look into, the
operator inbox, refused numbers and replies, and each branch's choices."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from backend.core.admin_site import ReaderDataAdmin, StrictModelAdmin
from backend.notifications import sending, services
from backend.notifications.models import (
    BranchMessaging,
    InboundSms,
    InboxItem,
    Message,
    MessageStatus,
    MessageTemplate,
    PhoneOptOut,
    TemplateCode,
    TemplateLanguage,
)
from backend.notifications.samples import sample_render, variables_described


@admin.register(MessageTemplate)
class MessageTemplateAdmin(StrictModelAdmin):
    title_object = pgettext_lazy("admin title object", "message template")
    list_display = ("code", "channel", "language", "short_text", "updated_at")
    list_filter = ("code", "channel", "language")
    fields = ("code", "channel", "language", "variables", "text", "preview", "updated_at",
              "updated_by")

    def get_readonly_fields(self, request, obj=None):
        # A template's event, channel and language stay what they are; only its text changes.
        fixed = ("code", "channel", "language") if obj is not None else ()
        return (*fixed, "variables", "preview", "updated_at", "updated_by")

    @admin.display(description=_("text"))
    def short_text(self, obj) -> str:
        return obj.text[:80]

    @admin.display(description=_("variables"))
    def variables(self, obj) -> str:
        # Plain text: the admin escapes it and breaks the lines.
        return "\n".join(variables_described(obj.code if obj else "")) or "—"

    @admin.display(description=_("preview on sample data"))
    def preview(self, obj) -> str:
        """The saved texts of this event and channel in Russian and Kazakh, filled in."""
        if not obj or not obj.pk:
            return "—"
        texts = dict(MessageTemplate.objects.filter(code=obj.code, channel=obj.channel)
                     .values_list("language", "text"))
        lines = []
        for language in (TemplateLanguage.RUSSIAN, TemplateLanguage.KAZAKH):
            text = texts.get(language.value)
            shown = (_("no template") if text is None
                     else sample_render(text, language.value) or _("cannot be shown"))
            lines.append(f"{language.label}: {shown}")
        return "\n".join(lines)

    def save_model(self, request, obj, form, change):
        services.message_template_save(template=obj, by=request.user)


def template_label(code: str) -> str:
    """The event a message was written for, in words."""
    return str(dict(TemplateCode.choices).get(code, code))


class TemplateFilter(admin.SimpleListFilter):
    """Messages by their event, named in words."""

    title = _("template")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        return TemplateCode.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(template=value) if value else queryset


@admin.register(Message)
class MessageAdmin(ReaderDataAdmin):
    title_object = pgettext_lazy("admin title object", "message")
    list_display = ("created_at", "template_display", "channel", "language", "masked_to",
                    "status", "attempts", "not_before", "error_code")
    list_filter = ("status", "channel", TemplateFilter, "language", "via_caregiver",
                   "voice_mode")
    search_fields = ("to", "provider_id", "event_key")
    date_hierarchy = "created_at"
    actions = ("send_again",)
    list_select_related = ("reader", "user")

    def get_readonly_fields(self, request, obj=None):
        # The event key is the outbox's own bookkeeping (one message per event), not for people.
        shown = {"template": "template_display", "context": "context_display"}
        return [shown.get(f.name, f.name) for f in self.model._meta.fields
                if f.name != "event_key"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("template"), ordering="template")
    def template_display(self, obj) -> str:
        return template_label(obj.template)

    @admin.display(description=_("variables"))
    def context_display(self, obj) -> str:
        # Plain text, one "name: value" a line (the admin escapes it and breaks the lines).
        context = obj.context if isinstance(obj.context, dict) else {}
        return "\n".join(f"{name}: {value}" for name, value in sorted(context.items())) or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("to"))
    def masked_to(self, obj) -> str:
        from backend.core.phones import mask

        return mask(obj.to)

    @admin.action(description=_("Send the selected failed or cancelled messages again"))
    def send_again(self, request, queryset):
        count = 0
        for message in queryset.filter(status__in=[MessageStatus.FAILED,
                                                   MessageStatus.CANCELLED]):
            count += sending.message_requeue(message=message).status == MessageStatus.QUEUED
        self.message_user(request, ngettext("%(n)d message queued again.",
                                            "%(n)d messages queued again.", count) % {"n": count},
                          messages.SUCCESS)


@admin.register(InboxItem)
class InboxItemAdmin(ReaderDataAdmin):
    title_object = pgettext_lazy("admin title object", "inbox item")
    list_display = ("created_at", "kind", "status", "phone", "reader", "assignee")
    list_filter = ("status", "kind")
    search_fields = ("phone", "text")
    raw_id_fields = ("reader", "order", "assignee")
    readonly_fields = ("created_at", "done_at", "provider_id")


@admin.register(PhoneOptOut)
class PhoneOptOutAdmin(ReaderDataAdmin):
    title_object = pgettext_lazy("admin title object", "opted-out number")
    list_display = ("number", "keyword", "at")
    search_fields = ("number",)
    readonly_fields = ("number", "keyword", "at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(InboundSms)
class InboundSmsAdmin(ReaderDataAdmin):
    title_object = pgettext_lazy("admin title object", "reply")
    list_display = ("received_at", "phone", "action", "text", "reader")
    list_filter = ("action",)
    search_fields = ("phone", "text")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BranchMessaging)
class BranchMessagingAdmin(StrictModelAdmin):
    title_object = pgettext_lazy("admin title object", "branch messaging")
    list_display = ("branch", "on_the_way")
