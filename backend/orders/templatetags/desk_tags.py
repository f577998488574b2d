"""The desk's own bits of pages: how many inbox items wait."""
from django import template

from backend.notifications.models import InboxItem, InboxStatus

register = template.Library()


@register.simple_tag
def desk_inbox_open() -> int:
    """Open items in the desk's inbox (every kind: one shared queue for the desk)."""
    return InboxItem.objects.filter(status=InboxStatus.OPEN).count()
