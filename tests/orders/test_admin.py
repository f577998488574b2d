"""Orders in the librarians' admin: a change goes through order_update, and what it refuses
is shown on the form."""
from django.urls import reverse

from backend.orders.models import Order
from backend.orders.services import order_create
from tests.factories import ItemFactory, ReaderFactory, UserFactory


def test_a_refused_change_comes_back_on_the_form(client, db):
    client.force_login(UserFactory(role="librarian", is_staff=True))
    reader = ReaderFactory()
    item = ItemFactory(branch=reader.branch)
    order = order_create(reader=reader, lines=[{"barcode": item.barcode}])
    Order.objects.filter(pk=order.pk).update(status="scheduled")
    url = reverse("admin:orders_order_change", args=[order.pk])
    form = {"preferred_date": "", "window_start": "", "window_end": "", "note": "Позвонить заранее"}
    for prefix in ("lines", "events"):  # the read-only inlines' management forms
        form |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = client.post(url, form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["__all__"] and "order_window_ordered" not in str(errors), errors
    order.refresh_from_db()
    assert order.note == ""
