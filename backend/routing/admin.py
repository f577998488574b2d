"""Routing's part of the librarians' admin: a reader's card shows what volunteers were
worried about at the door (raised at a stop; read only there, closed through the API)."""
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.readers.admin import ReaderAdmin
from backend.readers.admin_history import EMPTY
from backend.readers.models import Reader
from backend.routing.selectors import reader_concerns


@admin.display(description=_("concerns"))
def concern_list(modeladmin: admin.ModelAdmin, obj: Reader) -> str:
    """What volunteers were worried about at the door, open ones first (read only)."""
    if obj.pk is None:
        return EMPTY
    concerns = list(reader_concerns(reader_id=obj.pk)[:50])
    if not concerns:
        return EMPTY
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", (
        (" — ".join(part for part in (
            f"#{c.pk} {localtime(c.created_at):%Y-%m-%d %H:%M}", c.get_kind_display(), c.note,
            gettext("closed %(when)s: %(note)s") % {
                "when": f"{localtime(c.closed_at):%Y-%m-%d}", "note": c.closing_note}
            if c.closed_at else gettext("open")) if part),)
        for c in concerns)))


ReaderAdmin.add_section(
    _("Volunteers' concerns"), field="concern_list", display=concern_list,
    description=_("Close a concern with what was done through the API "
                  "(POST /api/v1/concerns/{id}/close/)."),
)
