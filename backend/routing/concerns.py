"""A volunteer's worry about a reader, raised from the door, and a librarian closing it."""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError, ConflictError
from backend.routing import messages as routing_messages
from backend.routing.models import Concern, ConcernKind, Stop

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.volunteers.models import Volunteer


@transaction.atomic
def concern_raise(*, stop: Stop, volunteer: Volunteer, kind: str, note: str = "",
                  at: datetime.datetime | None = None) -> Concern:
    """A volunteer's worry about the reader at `stop`. In one transaction: the concern, an
    urgent item in the desk's inbox (it says the kind and who raised it; the note stays on
    the card, for librarians), and the messages to the branch's duty phone and, where the
    card says so, the caregiver (routing.messages.on_concern_raised). "other" needs a
    note."""
    from backend.notifications.models import InboxKind
    from backend.notifications.services import inbox_item_add

    concern = Concern(reader=stop.reader, stop=stop, kind=kind, note=(note or "").strip(),
                      raised_by=volunteer, created_at=at or timezone.now())
    if concern.kind == ConcernKind.OTHER and not concern.note:
        raise ApplicationError("concern.note_required", _("Say what worries you."),
                               fields={"note": [_("Say what worries you.")]})
    concern.full_clean()
    concern.save()
    user = volunteer.user
    with translation.override(settings.LANGUAGE_CODE):  # the desk's language, not the phone's
        text = _("Volunteer %(volunteer)s is worried about the reader: %(kind)s. "
                 "See the card's concerns.") % {
            "volunteer": user.get_full_name() or user.get_username(),
            "kind": concern.get_kind_display()}
    inbox_item_add(kind=InboxKind.CONCERN, reader=stop.reader, phone=str(user.phone or ""),
                   urgent=True, text=text)
    routing_messages.on_concern_raised(concern)
    return concern


@transaction.atomic
def concern_close(*, concern: Concern, note: str, by: User) -> Concern:
    """A librarian says what was done about a concern. Closing twice is refused
    (`concern.closed`, 409): the first word stays."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.closed_at is not None:
        raise ConflictError("concern.closed", _("This concern is already closed."))
    note = (note or "").strip()
    if not note:
        raise ApplicationError("concern.note_required", _("Say what was done."),
                               fields={"note": [_("Say what was done.")]})
    concern.closed_at = timezone.now()
    concern.closed_by = by
    concern.closing_note = note
    concern.full_clean()
    concern.save(update_fields=["closed_at", "closed_by", "closing_note"])
    return concern
