"""`{% reader_voice_mode reader %}`: how the reader's calls speak, for the desk card."""
from django import template

from backend.notifications.selectors import reader_voice_mode as voice_mode

register = template.Library()


@register.simple_tag
def reader_voice_mode(reader) -> str:
    return voice_mode(reader_id=getattr(reader, "pk", None))
