"""Routing's answers to what the apps below it announce (connected in RoutingConfig.ready)."""
from backend.readers.signals import card_anonymizing
from backend.routing.models import Stop


def erase_card_copies(sender, *, reader=None, family=None, **kwargs) -> None:
    """An anonymized card's stops lose their coordinates and notes."""
    if reader is not None:
        Stop.objects.filter(reader=reader).update(lat=None, lon=None, note="")
    if family is not None:
        Stop.objects.filter(family_card=family).update(lat=None, lon=None, note="")


def connect() -> None:
    card_anonymizing.connect(erase_card_copies, dispatch_uid="routing.erase_card_copies")
