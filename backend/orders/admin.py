"""Orders in the librarians' admin. Status changes go through the order services."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from backend.core.admin_services import ServiceSavingAdmin
from backend.core.admin_site import ReaderDataAdmin, ReaderDataMixin
from backend.core.exceptions import ApplicationError
from backend.orders import services
from backend.orders.models import CallLog, Order, OrderEvent, OrderLine, OrderStatus


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("kind", "reader", "title", "wish_text", "wish_format", "wish_language", "item",
              "status")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status_display", "to_status_display", "by", "note")
    readonly_fields = fields
    verbose_name = _("status change")
    verbose_name_plural = _("status changes")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status before"))
    def from_status_display(self, obj: OrderEvent) -> str:
        return status_label(obj.from_status)

    @admin.display(description=_("status after"))
    def to_status_display(self, obj: OrderEvent) -> str:
        return status_label(obj.to_status)


def status_label(code: str) -> str:
    """An order status in words (an event keeps the code)."""
    if not code:
        return "—"
    return str(dict(OrderStatus.choices).get(code, code))


def _run(modeladmin, request, queryset, action, label):
    done = 0
    for order in queryset:
        try:
            action(order=order, by=request.user)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"#{order.pk}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, ngettext("%(label)s: %(n)s order.",
                                                  "%(label)s: %(n)s orders.", done)
                                % {"label": label, "n": done})


@admin.register(Order)
class OrderAdmin(ReaderDataMixin, ServiceSavingAdmin):
    title_object = pgettext_lazy("admin title object", "order")
    list_display = ("id", "reader", "family_card", "status", "channel", "preferred_date",
                    "scheduled_date", "branch", "created_at")
    list_filter = ("status", "channel", "branch", "preferred_date")
    search_fields = ("reader__search_text", "reader__card_number", "=id")
    list_select_related = ("reader", "family_card", "branch")
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    readonly_fields = ("reader", "family_card", "branch", "channel", "status", "scheduled_date",
                       "standing_plan", "fail_reason", "fail_note", "failed_attempts",
                       "created_by", "created_at", "updated_at")
    fields = ("reader", "family_card", "branch", "channel", "status", "preferred_date",
              "window_start", "window_end", "scheduled_date", "note", "standing_plan",
              "fail_reason", "fail_note", "failed_attempts", "created_by", "created_at",
              "updated_at")
    actions = ["start_picking", "mark_ready", "cancel"]

    def has_add_permission(self, request):
        return False  # orders are taken at the phone desk (API), where limits are checked

    def has_delete_permission(self, request, obj=None):
        return False

    def save_through_service(self, request, form, formsets, change):
        data = {name: form.cleaned_data.get(name) for name in form.changed_data}
        return services.order_update(order=form.instance, data=data, by=request.user)

    @admin.action(description=_("Start picking"))
    def start_picking(self, request, queryset):
        _run(self, request, queryset, services.order_start_picking, _("Picking started"))

    @admin.action(description=_("Mark ready"))
    def mark_ready(self, request, queryset):
        _run(self, request, queryset, services.order_mark_ready, _("Ready"))

    @admin.action(description=_("Cancel"))
    def cancel(self, request, queryset):
        _run(self, request, queryset, services.order_cancel, _("Cancelled"))


@admin.register(CallLog)
class CallLogAdmin(ReaderDataAdmin):
    title_object = pgettext_lazy("admin title object", "call")
    list_display = ("started_at", "phone", "reader", "operator", "direction", "outcome",
                    "duration_seconds", "order")
    list_filter = ("outcome", "direction", "started_at")
    search_fields = ("phone", "reader__search_text")
    list_select_related = ("reader", "operator", "order")
    date_hierarchy = "started_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
