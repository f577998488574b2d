"""The desk's inbox page (/desk/inbox/): SMS replies, requests to move a visit, calls nobody
answered, volunteers' concerns and short cards to complete, each with its action and, once
dealt with, who did it and when. The same queue as the API's (apis_inbox)."""
from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from backend.core.roles import Role, has_role
from backend.notifications.models import InboxItem, InboxKind, InboxStatus
from backend.notifications.services import inbox_item_done
from backend.orders.calls import inbox_item_call_back
from backend.orders.models import CallLog, CallOutcome
from backend.orders.views import MOVABLE, DeskPage
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record

PAGE_SIZE = 50
# What a call back can end with; "no answer" leaves the item open.
CALL_BACK_OUTCOMES = (CallOutcome.INFORMATION, CallOutcome.VISIT_MOVED, CallOutcome.RENEWAL,
                      CallOutcome.COMPLAINT, CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER,
                      CallOutcome.OTHER)


class CallBackForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("How the call went"),
                                choices=[(o.value, o.label) for o in CALL_BACK_OUTCOMES])
    note = forms.CharField(label=gettext_lazy("Note"), max_length=1000, required=False)


def _calls_back(items: list[InboxItem]) -> dict[int, CallLog]:
    """The last call made back for each item: to its number, after it came in."""
    phones = {item.phone for item in items if item.phone}
    if not phones:
        return {}
    earliest = min(item.created_at for item in items)
    calls = list(CallLog.objects.filter(direction=CallLog.Direction.OUTGOING, phone__in=phones,
                                        started_at__gte=earliest)
                 .select_related("operator").order_by("started_at", "id"))
    found = {}
    for item in items:
        for call in calls:
            if call.phone == item.phone and call.started_at >= item.created_at and (
                    item.done_at is None or call.started_at <= item.done_at):
                found[item.id] = call
    return found


class InboxPageView(DeskPage):
    def get(self, request):
        status = request.GET.get("status", InboxStatus.OPEN)
        if status not in InboxStatus.values:
            status = InboxStatus.OPEN
        kind = request.GET.get("kind", "")
        qs = (InboxItem.objects.filter(status=status)
              .select_related("reader", "order", "assignee")
              .order_by("-urgent", "-created_at", "-id"))
        if kind in InboxKind.values:
            qs = qs.filter(kind=kind)
        else:
            kind = ""
        items = list(qs[:PAGE_SIZE])
        # The page names readers and their numbers: one access-log row naming every card.
        card_access_record(request=request, action=CardAccess.Action.LIST,
                           channel=CardAccess.Channel.DESK,
                           readers=[item.reader_id for item in items if item.reader_id])
        counts = dict.fromkeys(InboxKind.values, 0)
        for value in InboxItem.objects.filter(status=InboxStatus.OPEN).values_list("kind",
                                                                                   flat=True):
            counts[value] = counts.get(value, 0) + 1
        calls = _calls_back(items)
        for item in items:
            item.call_back = calls.get(item.id)
            item.can_move = bool(item.order_id and item.order.status in MOVABLE)
        return render(request, "desk/inbox.html", {
            "items": items, "status": status, "kind": kind,
            "kinds": [(value, label, counts.get(value, 0)) for value, label in InboxKind.choices],
            "open_total": sum(counts.values()),
            "call_back_form": CallBackForm(),
            "librarian": has_role(request.user, Role.LIBRARIAN),
        })


def _back(request) -> str:
    """The inbox as the operator left it (its tab and kind)."""
    query = {k: v for k, v in (("status", request.POST.get("status", "")),
                               ("kind", request.POST.get("kind", "")))
             if v and v != InboxStatus.OPEN}
    return reverse("desk:inbox") + ("?" + urlencode(query) if query else "")


class InboxDoneView(DeskPage):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        item = get_object_or_404(InboxItem, pk=pk)
        inbox_item_done(item=item, by=request.user)
        return redirect(_back(request))


class InboxCallBackView(DeskPage):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        item = get_object_or_404(InboxItem.objects.select_related("reader", "order"), pk=pk)
        form = CallBackForm(request.POST)
        if not form.is_valid():
            items = [item]
            card_access_record(request=request, action=CardAccess.Action.LIST,
                               channel=CardAccess.Channel.DESK,
                               readers=[item.reader_id] if item.reader_id else [])
            item.call_back = None
            item.can_move = bool(item.order_id and item.order.status in MOVABLE)
            return render(request, "desk/inbox.html", {
                "items": items, "status": item.status, "kind": "", "kinds": [],
                "open_total": None, "call_back_form": form, "form_item": item.id,
                "librarian": has_role(request.user, Role.LIBRARIAN),
            }, status=400)
        inbox_item_call_back(item=item, outcome=form.cleaned_data["outcome"],
                             note=form.cleaned_data["note"].strip(), by=request.user)
        return redirect(_back(request))
