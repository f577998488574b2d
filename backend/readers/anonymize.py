"""Erasing the personal data of cards closed long ago, keeping what the statistics need.

A card closed more than READER_RETENTION_YEARS ago is anonymized: its name, phones, street
address, notes, caregiver, document and everything copied from them elsewhere (messages,
replies, calls, order notes, stops, the values in the card's history) are erased. What stays
is what makes no person recognisable and keeps past reports right: the branch, the
settlement, the category, the birth year, the loans and the visits.

Each card is anonymized in its own transaction: a failure leaves that card as it was and
the next run takes it again.
"""
from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.readers.cards import anonymized_card_number
from backend.readers.models import (
    CardChange,
    FamilyCard,
    FamilyStatus,
    Reader,
    ReaderPhone,
    ReaderStatus,
)
from backend.readers.signals import card_anonymizing

ERASED_NAME = "—"


def cutoff(*, years: int, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - relativedelta(years=years)


def readers_to_anonymize(*, years: int, now: datetime.datetime | None = None):
    """Closed cards, closed before the cutoff, not yet anonymized."""
    return Reader.objects.filter(
        status=ReaderStatus.CLOSED, closed_at__lt=cutoff(years=years, now=now),
        anonymized_at__isnull=True,
    ).order_by("closed_at", "id")


def families_to_anonymize(*, years: int, now: datetime.datetime | None = None):
    """Closed family cards, closed before the cutoff, with no member still open or recent."""
    limit = cutoff(years=years, now=now)
    recent_members = Q(members__status__in=[ReaderStatus.ACTIVE, ReaderStatus.PAUSED]) | Q(
        members__closed_at__gte=limit)
    return (FamilyCard.objects
            .filter(status=FamilyStatus.CLOSED, closed_at__lt=limit, anonymized_at__isnull=True)
            .exclude(recent_members)
            .order_by("closed_at", "id")
            .distinct())


def _erase_copies(*, reader: Reader | None = None, family: FamilyCard | None = None) -> None:
    """Erase what other parts of the service copied from the card: messages here, the rest
    (calls, orders, stops) by the apps that keep them, told through `card_anonymizing`."""
    from backend.notifications.models import InboundSms, InboxItem, Message

    if reader is not None:
        Message.objects.filter(reader=reader).update(to="", text="", context={})
        InboxItem.objects.filter(reader=reader).update(phone="", text="")
        InboundSms.objects.filter(reader=reader).update(phone="", text="")
        card_anonymizing.send(sender=Reader, reader=reader, family=None)
        CardChange.objects.filter(reader=reader).update(changes={})
    if family is not None:
        card_anonymizing.send(sender=FamilyCard, reader=None, family=family)
        CardChange.objects.filter(family_card=family).update(changes={})


def _blank_address(card) -> None:
    for name in card.ADDRESS_FIELDS:
        if name == "settlement":
            continue  # kept: the reports count readers by settlement
        field = card._meta.get_field(name)
        setattr(card, name, None if field.null else "")


def reader_anonymize(*, reader: Reader, by=None) -> Reader:
    """Erase one closed card's personal data (see the module's docstring)."""
    with transaction.atomic():
        reader = Reader.objects.select_for_update(of=("self",)).get(pk=reader.pk)
        if reader.anonymized_at is not None:
            return reader
        reader.last_name = ERASED_NAME
        reader.first_name = ""
        reader.patronymic = ""
        reader.card_number = anonymized_card_number(reader.pk)
        if reader.birth_date is not None:
            reader.birth_date = reader.birth_date.replace(month=1, day=1)
        _blank_address(reader)
        reader.access_notes = ""
        reader.preferences = {}
        reader.availability = []
        reader.caregiver_name = ""
        reader.caregiver_relation = ""
        reader.caregiver_phone = ""
        reader.document_type = ""
        reader.document_number = ""
        reader.document_valid_until = None
        reader.messages_opt_out_at = None
        reader.search_text = ""
        reader.search_key = ""
        reader.anonymized_at = timezone.now()
        reader.save()
        ReaderPhone.objects.filter(reader=reader).delete()
        _erase_copies(reader=reader)
        CardChange.objects.create(reader=reader, actor=by, action=CardChange.Action.ANONYMIZED,
                                  changes={})
    return reader


def family_card_anonymize(*, family: FamilyCard, by=None) -> FamilyCard:
    with transaction.atomic():
        family = FamilyCard.objects.select_for_update(of=("self",)).get(pk=family.pk)
        if family.anonymized_at is not None:
            return family
        family.name = ERASED_NAME
        _blank_address(family)
        family.access_notes = ""
        family.anonymized_at = timezone.now()
        family.save()
        _erase_copies(family=family)
        CardChange.objects.create(family_card=family, actor=by,
                                  action=CardChange.Action.ANONYMIZED, changes={})
    return family


def anonymize_closed(*, years: int, by=None) -> dict:
    """Anonymize every card closed more than `years` ago; {"readers": n, "family_cards": m}."""
    readers = families = 0
    for reader in readers_to_anonymize(years=years).iterator(chunk_size=500):
        reader_anonymize(reader=reader, by=by)
        readers += 1
    for family in list(families_to_anonymize(years=years)):
        family_card_anonymize(family=family, by=by)
        families += 1
    return {"readers": readers, "family_cards": families, "years": years}
