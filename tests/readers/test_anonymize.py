"""Cards closed more than N years ago lose their personal data, everywhere it was copied,
and keep what the statistics need; recent or open cards are not touched."""
import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.circulation.models import Loan
from backend.notifications.models import InboxItem, Message
from backend.orders.models import CallLog, OrderEvent
from backend.readers import anonymize
from backend.readers.models import CardChange, FamilyCard, Reader, ReaderPhone
from backend.readers.services import reader_update
from tests.factories import (
    FamilyCardFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
)
from tests.reports.factories import OrderFactory, StopFactory

NOW = timezone.now()
LONG_AGO = NOW - datetime.timedelta(days=365 * 4)
RECENTLY = NOW - datetime.timedelta(days=365)


def closed_reader(closed_at, **kwargs):
    reader = ReaderFactory(
        status="closed", closed_at=closed_at, birth_date=datetime.date(1941, 6, 22),
        category="disability_1", access_notes="Ключ у соседки, кв. 5",
        caregiver_name="Сын Иван", caregiver_phone="+77019998877",
        document_type="disability_certificate", document_number="МСЭ-123456",
        door_code="45#", apartment="12", landmark="Зелёные ворота",
        preferences={"subjects": ["поэзия"]}, availability=[{"weekday": 1}], **kwargs)
    ReaderPhoneFactory(reader=reader, number="+77011112233")
    return reader


@pytest.fixture
def old(db):
    reader = closed_reader(LONG_AGO)
    # Copies of the card elsewhere in the service.
    reader_update(reader=reader, data={"access_notes": "Домофон не работает"}, by=None)
    order = OrderFactory(reader=reader, note="Позвонить дочери 8 701 555 44 33")
    OrderEvent.objects.create(order=order, to_status="new", note="Просила Абая")
    Message.objects.create(event_key="t1", template="order_confirmed", to="+77011112233",
                           reader=reader, text="Ваш заказ готов", not_before=NOW,
                           context={"name": "Мария"})
    InboxItem.objects.create(kind="message", reader=reader, phone="+77011112233",
                             text="Перезвоните")
    CallLog.objects.create(phone="+77011112233", reader=reader, outcome="order",
                           started_at=NOW, note="Говорит о давлении")
    StopFactory(reader=reader, note="Собака во дворе")
    LoanFactory(reader=reader)
    return reader


def test_old_closed_card_is_anonymized_everywhere(old):
    call_command("anonymize_readers", "--years", "3")
    reader = Reader.objects.get(pk=old.pk)
    assert reader.anonymized_at is not None
    assert (reader.last_name, reader.first_name, reader.patronymic) == ("—", "", "")
    assert reader.card_number == f"X{reader.pk:05d}"
    assert (reader.street, reader.house, reader.apartment, reader.door_code,
            reader.landmark, reader.lat, reader.lon) == ("", "", "", "", "", None, None)
    assert (reader.access_notes, reader.caregiver_name, str(reader.caregiver_phone or "")) == (
        "", "", "")
    assert (reader.document_type, reader.document_number) == ("", "")
    assert reader.preferences == {} and reader.availability == []
    assert reader.search_text == ""
    assert not ReaderPhone.objects.filter(reader=reader).exists()
    # What the statistics need stays.
    assert reader.birth_date == datetime.date(1941, 1, 1)
    assert (reader.category, reader.settlement, reader.branch_id) == (
        "disability_1", "Бишкуль", old.branch_id)
    assert Loan.objects.filter(reader=reader).count() == 1
    # Copies are gone.
    message = Message.objects.get(reader=reader)
    assert (message.to, message.text, message.context) == ("", "", {})
    assert InboxItem.objects.get(reader=reader).phone == ""
    call = CallLog.objects.get(reader=reader)
    assert (call.phone, call.note) == ("", "")
    order = reader.orders.get()
    assert order.note == "" and OrderEvent.objects.get(order=order).note == ""
    stop = reader.stops.get()
    assert (stop.note, stop.lat, stop.lon) == ("", None, None)
    # The history keeps who and when, not the old values, and says what happened.
    history = list(CardChange.objects.filter(reader=reader))
    assert history[0].action == "anonymized"
    assert all(change.changes == {} for change in history)
    assert len(history) >= 2


def test_recent_closed_and_open_cards_are_not_touched(old):
    recent = closed_reader(RECENTLY)
    active = ReaderFactory(status="active")
    call_command("anonymize_readers", "--years", "3")
    for reader in (recent, active):
        fresh = Reader.objects.get(pk=reader.pk)
        assert fresh.anonymized_at is None
        assert fresh.last_name == reader.last_name
    assert ReaderPhone.objects.filter(reader=recent).exists()
    assert Reader.objects.filter(anonymized_at__isnull=False).count() == 1


def test_the_default_period_comes_from_the_settings(old, settings):
    settings.READER_RETENTION_YEARS = 5
    call_command("anonymize_readers")
    assert Reader.objects.get(pk=old.pk).anonymized_at is None
    settings.READER_RETENTION_YEARS = 3
    call_command("anonymize_readers")
    assert Reader.objects.get(pk=old.pk).anonymized_at is not None


def test_dry_run_changes_nothing_and_says_how_many(old, capsys):
    call_command("anonymize_readers", "--years", "3", "--dry-run")
    assert "Would anonymize 1 reader card(s)" in capsys.readouterr().out
    assert Reader.objects.get(pk=old.pk).last_name == old.last_name


def test_running_twice_does_nothing_more(old):
    call_command("anonymize_readers", "--years", "3")
    changes = CardChange.objects.count()
    first = Reader.objects.get(pk=old.pk).anonymized_at
    call_command("anonymize_readers", "--years", "3")
    assert CardChange.objects.count() == changes
    assert Reader.objects.get(pk=old.pk).anonymized_at == first


def test_family_card_is_anonymized_only_when_no_member_is_recent(db):
    family = FamilyCardFactory(status="closed", closed_at=LONG_AGO, street="Абая",
                               house="3", access_notes="Калитка справа")
    member = closed_reader(LONG_AGO, family_card=family)
    kept = FamilyCardFactory(status="closed", closed_at=LONG_AGO, street="Мира")
    closed_reader(RECENTLY, family_card=kept)

    call_command("anonymize_readers", "--years", "3")
    family.refresh_from_db()
    assert (family.name, family.street, family.house, family.access_notes) == (
        "—", "", "", "")
    assert family.anonymized_at is not None
    assert Reader.objects.get(pk=member.pk).anonymized_at is not None
    assert FamilyCard.objects.get(pk=kept.pk).street == "Мира"


def test_one_card_failing_leaves_it_whole(old, monkeypatch):
    """Each card in its own transaction: an error half-way leaves that card as it was."""
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(anonymize, "_erase_copies", broken)
    with pytest.raises(RuntimeError):
        anonymize.reader_anonymize(reader=old)
    reader = Reader.objects.get(pk=old.pk)
    assert reader.anonymized_at is None and reader.last_name == old.last_name
    assert ReaderPhone.objects.filter(reader=reader).exists()


def test_years_below_one_are_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("anonymize_readers", "--years", "0")
