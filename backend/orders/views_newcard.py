"""The desk's answers to an unknown number: a short new card (the librarian completes it and
records consent later, so it starts paused), or a call logged without an order."""
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.branches.models import Branch
from backend.core.exceptions import ApplicationError
from backend.core.phones import to_e164
from backend.notifications.models import InboxKind
from backend.notifications.services import inbox_item_add
from backend.orders.calls import call_log
from backend.orders.models import CallOutcome
from backend.orders.views import DeskPage
from backend.readers.models import Category, Language
from backend.readers.services import POSSIBLE_DUPLICATE, reader_create

# What a call without an order can have been about.
CALL_OUTCOMES = (CallOutcome.INFORMATION, CallOutcome.RENEWAL, CallOutcome.COMPLAINT,
                 CallOutcome.WRONG_NUMBER, CallOutcome.OTHER)


class NewCardForm(forms.Form):
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    patronymic = forms.CharField(label=gettext_lazy("Patronymic"), max_length=100,
                                 required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30)
    settlement = forms.CharField(label=gettext_lazy("Settlement"), max_length=120,
                                 required=False)
    street = forms.CharField(label=gettext_lazy("Street"), max_length=160)
    house = forms.CharField(label=gettext_lazy("House"), max_length=20)
    apartment = forms.CharField(label=gettext_lazy("Apartment"), max_length=20, required=False)
    birth_date = forms.DateField(label=gettext_lazy("Birth date (if the caller says it)"),
                                 required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices,
                                 initial=Category.ELDERLY)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices,
                                 initial=Language.RUSSIAN)
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), queryset=Branch.objects.all(),
                                    empty_label=None)
    confirm_duplicate = forms.BooleanField(
        label=gettext_lazy("This is another person: save the card anyway"), required=False)

    def clean_phone(self) -> str:
        number = to_e164(self.cleaned_data["phone"])
        if number is None:
            raise ValidationError(_("Not a phone number: say it with the area code, "
                                    "e.g. 8 701 123 45 67."), code="invalid")
        return number


class NewCardView(DeskPage):
    """A short card for a caller the desk does not know. It starts paused (no consent yet)
    and a "new card to complete" item in the inbox tells the librarians."""

    def get(self, request):
        initial = {"phone": request.GET.get("phone", "")[:30]}
        if request.user.branch_id:
            initial["branch"] = request.user.branch_id
        return render(request, "desk/new_card.html", {"form": NewCardForm(initial=initial)})

    def post(self, request):
        form = NewCardForm(request.POST)
        if not form.is_valid():
            return render(request, "desk/new_card.html", {"form": form}, status=400)
        data = dict(form.cleaned_data)
        confirmed = data.pop("confirm_duplicate")
        number = data.pop("phone")
        data["phones"] = [{"number": number, "kind": "mobile", "sms_ok": True}]
        try:
            with transaction.atomic():
                reader = reader_create(data=data, by=request.user,
                                       refuse_duplicates=not confirmed)
                inbox_item_add(kind=InboxKind.NEW_CARD, reader=reader, phone=number, text=_(
                    "A short card taken at the phone desk: complete it and record the "
                    "reader's consent."))
        except ApplicationError as error:
            duplicate = error.code == POSSIBLE_DUPLICATE
            if not duplicate:
                for name, messages in (error.fields or {}).items():
                    target = name if name in form.fields else None
                    for message in messages if isinstance(messages, list) else [messages]:
                        if isinstance(message, str):
                            form.add_error(target, message)
            return render(request, "desk/new_card.html", {
                "form": form, "error": str(error.message), "duplicate": duplicate,
            }, status=error.status_code)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
            return render(request, "desk/new_card.html", {"form": form}, status=400)
        return redirect(f"{reverse('desk:card', args=[reader.id])}?"
                        + urlencode({"phone": number, "new": 1}))


class CallLogForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30)
    outcome = forms.ChoiceField(label=gettext_lazy("What the call was about"),
                                choices=[(o.value, o.label) for o in CALL_OUTCOMES])
    note = forms.CharField(label=gettext_lazy("Note"), max_length=1000, required=False)


class CallLogView(DeskPage):
    """A call that ends without an order: the call log keeps what it was about."""

    http_method_names = ["post"]

    def post(self, request):
        form = CallLogForm(request.POST)
        if not form.is_valid():
            return render(request, "desk/index.html", {
                "query": request.POST.get("phone", ""), "matches": [],
                "phone": request.POST.get("phone", ""), "call_form": form,
            }, status=400)
        phone = form.cleaned_data["phone"].strip()
        call = call_log(phone=(to_e164(phone) or phone)[:20],
                        outcome=form.cleaned_data["outcome"], operator=request.user,
                        note=form.cleaned_data["note"].strip())
        return redirect(f"{reverse('desk:home')}?logged={call.id}")
