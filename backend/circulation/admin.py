from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backend.circulation import services
from backend.circulation.models import Loan
from backend.core.admin_site import ReaderDataAdmin
from backend.core.exceptions import ApplicationError


@admin.register(Loan)
class LoanAdmin(ReaderDataAdmin):
    title_object = pgettext_lazy("admin title object", "loan")
    list_display = ("item", "title", "reader", "family_card", "status", "issued_at", "due_date",
                    "renewals", "returned_at")
    list_filter = ("status", "branch", "return_channel", "due_date")
    search_fields = ("item__barcode", "reader__search_text", "reader__card_number",
                     "title__search_text")
    list_select_related = ("item", "title", "reader", "family_card")
    date_hierarchy = "issued_at"
    actions = ["return_at_desk", "renew", "mark_lost"]
    readonly_fields = [f.name for f in Loan._meta.fields]

    def has_add_permission(self, request):
        return False  # loans start when a delivery is recorded

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, call):
        for loan in queryset:
            try:
                call(loan)
            except ApplicationError as exc:
                self.message_user(request, f"{loan.item}: {exc.message}", messages.ERROR)

    @admin.action(description=_("Return at the desk"))
    def return_at_desk(self, request, queryset):
        self._each(request, queryset.select_related("item"),
                   lambda loan: services.loan_return(barcode=loan.item.barcode, by=request.user))

    @admin.action(description=_("Renew"))
    def renew(self, request, queryset):
        self._each(request, queryset, lambda loan: services.loan_renew(loan=loan, by=request.user))

    @admin.action(description=_("Mark lost"))
    def mark_lost(self, request, queryset):
        self._each(request, queryset,
                   lambda loan: services.loan_mark_lost(loan=loan, by=request.user))
