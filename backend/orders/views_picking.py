"""The pick list page (/picking/): the librarian picks a branch's orders for a day.

Every action is a plain form POST answered by a redirect back to the list with a message in
words (HTMX, when it is there, swaps the list without reloading the page). The pages read
through `picking.picking_day` and write through the order services, like the API does.
"""
from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View

from backend.branches.models import Branch
from backend.catalog.models import Title
from backend.catalog.selectors import title_list
from backend.core import dates
from backend.core.calendar import working_days
from backend.core.exceptions import ApplicationError
from backend.core.roles import Role
from backend.core.web import RoleRequiredMixin
from backend.notifications.models import Message
from backend.orders import services
from backend.orders.models import Order, OrderLine
from backend.orders.picking import picking_day
from backend.orders.picking_pdf import render_pick_list_pdf
from backend.readers.models import CardAccess
from backend.readers.services import card_access_record

MAX_TITLES = 8


def default_day(branch: Branch) -> datetime.date:
    """The next working day: its list holds today's orders too (wanted by then)."""
    return next(working_days(branch.today() + datetime.timedelta(days=1), 30))


class PickingPage(RoleRequiredMixin, View):
    roles = (Role.LIBRARIAN,)

    def choice(self, request, source) -> tuple[Branch, datetime.date]:
        """The branch and day asked for; a bad one falls back to the default, said once."""
        branches = Branch.objects.order_by("-is_central", "name")
        value = str(source.get("branch", "")).strip()
        branch = branches.filter(pk=int(value)).first() if value.isdigit() else None
        if branch is None:
            if value:
                messages.error(request, _("No such branch: the list shows your own."))
            own = getattr(request.user, "branch_id", None)
            branch = branches.filter(pk=own).first() if own else None
            branch = branch or branches.first()
        day = None
        raw = str(source.get("date", "")).strip()
        if raw:
            try:
                day = datetime.date.fromisoformat(raw)
            except ValueError:
                day = None
            if day is None or dates.PLAN_DAY.problem(day) is not None:
                messages.error(request, _("The date %(value)s cannot be used: the list shows "
                                          "the next working day.") % {"value": raw})
                day = None
        return branch, day or (default_day(branch) if branch else datetime.date.today())

    def back(self, branch: Branch, day: datetime.date, anchor: str = "") -> HttpResponse:
        query = urlencode({"branch": branch.pk, "date": day.isoformat()})
        return redirect(f"{reverse('picking:page')}?{query}{anchor}")


class PickingView(PickingPage):
    def get(self, request):
        branch, day = self.choice(request, request.GET)
        if branch is None:
            return render(request, "picking/page.html", {"branch": None, "branches": []})
        board = picking_day(branch=branch, date=day)
        card_access_record(request=request, readers=board.readers(),
                           action=CardAccess.Action.LIST, channel=CardAccess.Channel.PAGES)
        substitute, query, titles = None, "", []
        value = request.GET.get("substitute", "")
        if value.isdigit():
            substitute = int(value)
            query = request.GET.get("q", "").strip()[:200]
            if len(query) >= 2:
                titles = list(title_list(filters={"q": query})[:MAX_TITLES])
        return render(request, "picking/page.html", {
            "branch": branch, "day": day, "board": board,
            "branches": Branch.objects.order_by("-is_central", "name"),
            "substitute": substitute, "query": query, "titles": titles,
            "day_label": formats.date_format(day, "DATE_FORMAT"),
        })


class ScanView(PickingPage):
    http_method_names = ["post"]

    def post(self, request):
        branch, day = self.choice(request, request.POST)
        barcode = request.POST.get("barcode", "").strip()[:40]
        if not barcode:
            messages.error(request, _("Scan a barcode or type it, then press Enter."))
            return self.back(branch, day)
        try:
            line = services.pick_scan(branch=branch, date=day, barcode=barcode,
                                      by=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Copy %(barcode)s is on order №%(order)s: %(title)s.")
                             % {"barcode": barcode, "order": line.order_id,
                                "title": line.title.title})
        return self.back(branch, day)


class LinePage(PickingPage):
    http_method_names = ["post"]

    def line(self, pk: int, branch: Branch) -> OrderLine:
        """A line of the chosen branch's orders, or 404."""
        return get_object_or_404(OrderLine.objects.select_related("order", "title"), pk=pk,
                                 order__branch=branch)


class LineAssignView(LinePage):
    def post(self, request, pk: int):
        branch, day = self.choice(request, request.POST)
        line = self.line(pk, branch)
        barcode = request.POST.get("barcode", "").strip()[:40]
        try:
            line = services.line_assign(line=line, barcode=barcode, by=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Copy %(barcode)s is on order №%(order)s: %(title)s.")
                             % {"barcode": barcode, "order": line.order_id,
                                "title": line.title.title})
        return self.back(branch, day)


class LineSubstituteView(LinePage):
    def post(self, request, pk: int):
        branch, day = self.choice(request, request.POST)
        line = self.line(pk, branch)
        value = request.POST.get("title", "")
        title = Title.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if title is None:
            messages.error(request, _("Choose the title to send instead."))
            return self.back(branch, day)
        try:
            services.line_substitute(line=line, title=title, by=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Order №%(order)s now asks for %(title)s.")
                             % {"order": line.order_id, "title": title.title})
        return self.back(branch, day)


class LineCancelView(LinePage):
    def post(self, request, pk: int):
        branch, day = self.choice(request, request.POST)
        line = self.line(pk, branch)
        label = line.title.title if line.title_id else line.wish_text
        try:
            services.line_cancel(line=line, by=request.user, tell_reader=True)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            told = Message.objects.filter(
                event_key=f"order:{line.order_id}:line:{line.pk}:cancelled")
            if told.exists():
                messages.success(request, _("%(title)s is taken off order №%(order)s; the "
                                            "reader gets a message.")
                                 % {"title": label, "order": line.order_id})
            else:
                messages.warning(request, _("%(title)s is taken off order №%(order)s, but no "
                                            "message can go to the reader (no number for "
                                            "messages): call them.")
                                 % {"title": label, "order": line.order_id})
        return self.back(branch, day)


class OrderReadyView(PickingPage):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        branch, day = self.choice(request, request.POST)
        order = get_object_or_404(Order, pk=pk, branch=branch)
        try:
            services.order_mark_ready(order=order, by=request.user)
        except ApplicationError as error:
            messages.error(request, _("Order №%(order)s is not ready: %(why)s")
                           % {"order": order.pk, "why": error.message})
        else:
            messages.success(request, _("Order №%(order)s is ready to be planned.")
                             % {"order": order.pk})
        return self.back(branch, day)


class PickListPdfView(PickingPage):
    def get(self, request):
        branch, day = self.choice(request, request.GET)
        if branch is None:
            return self.back(branch, day)
        board = picking_day(branch=branch, date=day)
        card_access_record(request=request, readers=board.readers(),
                           action=CardAccess.Action.LIST, channel=CardAccess.Channel.PAGES)
        response = HttpResponse(render_pick_list_pdf(board), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="pick-list-{branch.code}-{day.isoformat()}.pdf"')
        return response

