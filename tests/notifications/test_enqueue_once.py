"""The same event twice makes one message and one send (backend.notifications.services):
the second call answers the first message and hands nothing more to the worker, whether the
outbox's row is written by one INSERT ... ON CONFLICT DO NOTHING or in a savepoint."""
import pytest

from backend.notifications.models import Message
from backend.notifications.services import message_enqueue
from tests.notifications.conftest import reader_with_phone


@pytest.mark.parametrize("event_key", ["order:41:confirmed", "order:42:" + "x" * 250],
                         ids=["key", "key-cut-to-200"])
def test_the_same_event_twice_makes_one_message_and_one_send(
        fake_twilio, branch_kz, way, event_key, django_capture_on_commit_callbacks):
    reader = reader_with_phone(branch_kz, phone="+77011115501")

    def enqueue(text):
        return message_enqueue(event_key=event_key, template="order_confirmed",
                               to="+77011115501", text=text, reader=reader, branch=branch_kz,
                               quiet_hours=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = enqueue("Заказ принят")
        again = enqueue("Заказ принят ещё раз")
    assert again.pk == first.pk
    assert again.text == "Заказ принят"
    assert list(Message.objects.values_list("event_key", "text")) == [
        (event_key[:200], "Заказ принят")]
    assert len(callbacks) == 1
    assert fake_twilio.sms_count("+77011115501") == 1
    assert Message.objects.get(pk=first.pk).status == "sent"
    # Another event is a message of its own, sent too.
    with django_capture_on_commit_callbacks(execute=True):
        other = message_enqueue(event_key="order:43:confirmed", template="order_confirmed",
                                to="+77011115501", text="Другой заказ", reader=reader,
                                branch=branch_kz, quiet_hours=False)
    assert other.pk != first.pk
    assert fake_twilio.sms_count("+77011115501") == 2
