"""What readers tells the apps above it, which it may not import.

`card_anonymizing(sender=Reader or FamilyCard, reader=..., family=...)`: a card's personal
data is being erased, inside the card's transaction; apps that copied the card's data
(orders, routes) erase their copies. Exactly one of `reader` and `family` is given.
"""
from django.dispatch import Signal

card_anonymizing = Signal()
