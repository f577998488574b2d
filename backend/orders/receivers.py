"""Orders' answers to what the apps below them announce (connected in OrdersConfig.ready)."""
from django.utils.translation import gettext as _

from backend.circulation.signals import loan_renewing
from backend.core.exceptions import ConflictError
from backend.orders.models import CallLog, LineStatus, Order, OrderEvent, OrderLine
from backend.readers.signals import card_anonymizing


def erase_card_copies(sender, *, reader=None, family=None, **kwargs) -> None:
    """An anonymized reader's calls, order notes, wishes and order events are erased."""
    if reader is None:
        return
    CallLog.objects.filter(reader=reader).update(phone="", note="")
    orders = Order.objects.filter(reader=reader)
    orders.update(note="", fail_note="")
    OrderLine.objects.filter(order__in=orders).update(wish_text="")
    OrderEvent.objects.filter(order__in=orders).update(note="")


def refuse_renewal_when_title_wanted(sender, *, loan, **kwargs) -> None:
    """No renewal while another reader waits for the title."""
    waiting = OrderLine.objects.filter(
        title_id=loan.title_id, status=LineStatus.WAITING
    ).exclude(reader_id=loan.reader_id)
    if waiting.exists():
        raise ConflictError(
            "loan.title_requested",
            _("Another reader is waiting for this title; it cannot be renewed."),
        )


def connect() -> None:
    card_anonymizing.connect(erase_card_copies, dispatch_uid="orders.erase_card_copies")
    loan_renewing.connect(refuse_renewal_when_title_wanted,
                          dispatch_uid="orders.refuse_renewal_when_title_wanted")
