"""What the phone desk reads back is what then happens.

Three things a reader hears on the phone and later holds us to:

- how they will hear from us: the channel is the one `reader_message_send` then uses
  (`readers.messages.reader_recipient`, and the outbox's own refusal rule
  `notifications.services.message_refused`), never a guess made here;
- the window the volunteer really comes in: the agreed window (or the default one) within the
  household's home hours that day (`visit_window`); the confirmation and the reminder say
  the same window (`orders.messages.say_window` asks this module);
- a title with no free copy: it waits in the order and comes "when a copy is free", with how
  many copies are out, when the first is due back and how many readers wait (`title_waits`).
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import dateformat
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from backend.catalog.models import Item, ItemStatus, Title
from backend.circulation.models import Loan, LoanStatus
from backend.core.dates import longest_span, window_within
from backend.notifications.models import Channel as MessageChannel
from backend.notifications.services import message_refused
from backend.notifications.texts import KK_MONTHS
from backend.orders.models import OPEN_STATUSES, LineKind, LineStatus, Order, OrderLine
from backend.readers.card_text import WEEKDAY_SHORT
from backend.readers.messages import reader_recipient
from backend.readers.models import PhoneKind, Reader
from backend.readers.selectors import home_windows

# Copies that may come back to the shelf.
GONE = (ItemStatus.LOST, ItemStatus.WITHDRAWN)


# The channel -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """How the reader hears from us: `channel` is "sms" or "voice" ("" when nothing goes),
    `to` the number the outbox writes to, `words` what the operator says."""

    channel: str
    to: str
    via_caregiver: bool
    words: str

    @property
    def silent(self) -> bool:
        return not self.channel


def say_number(number: str) -> str:
    """+77011234567 -> `+7 701 *** 45 67`: enough to recognise, not to read out in full."""
    text = str(number or "")
    if text.startswith("+7") and len(text) == 12:
        return f"+7 {text[2:5]} *** {text[-4:-2]} {text[-2:]}"
    return text[:5] + " *** " + text[-2:] if len(text) > 7 else "***"


def order_reach(reader: Reader) -> Reach:
    """The channel an order's messages for `reader` go by, in words: "SMS to +7 701 ***",
    "a call to the landline ...", "through the caregiver (name) ...", or why none goes."""
    if reader.messages_opt_out_at:
        return Reach("", "", False, _("no message: the reader refused messages"))
    recipient = reader_recipient(reader)
    if recipient is None:
        return Reach("", "", False, _("no message: no number"))
    if message_refused(to=recipient.to, reader=reader):
        return Reach("", recipient.to, recipient.via_caregiver,
                     _("no message: the number %(number)s refused messages")
                     % {"number": say_number(recipient.to)})
    number = say_number(recipient.to)
    if recipient.via_caregiver:
        name = reader.caregiver_name or _("no name given")
        words = _("through the caregiver (%(name)s): SMS to %(number)s") % {
            "name": name, "number": number}
    elif recipient.channel == MessageChannel.VOICE:
        landline = any(str(p.number) == recipient.to and p.kind == PhoneKind.HOME
                       for p in reader.phones.all())
        words = (_("a call to the landline %(number)s") if landline
                 else _("a call to %(number)s")) % {"number": number}
    else:
        words = _("SMS to %(number)s") % {"number": number}
    return Reach(recipient.channel, recipient.to, recipient.via_caregiver, words)


# The window ------------------------------------------------------------------------------------


def _time(value) -> datetime.time:
    return datetime.time.fromisoformat(value) if isinstance(value, str) else value


def default_window() -> tuple[datetime.time, datetime.time]:
    start, end = getattr(settings, "ROUTING_DEFAULT_WINDOW", ("09:00", "18:00"))
    return _time(start), _time(end)


@dataclass(frozen=True)
class VisitWindow:
    """The window the volunteer comes in. `outside_home`: the agreed window misses the
    household's home hours that day (`home`, in words): kept, because the reader agreed to it,
    but the operator is told."""

    start: datetime.time
    end: datetime.time
    home: str = ""
    outside_home: bool = False

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def visit_window(reader: Reader, day: datetime.date | None, start: datetime.time | None = None,
                 end: datetime.time | None = None) -> VisitWindow:
    """The agreed window (or the default one) within the household's home hours on `day`:
    home 11:00–14:00 and the default 09:00–18:00 give 11:00–14:00. With several home spans
    that day, the longest overlap. No overlap: an agreed window stays (flagged), the default
    gives way to the home hours. No home hours recorded that day: the window as it is."""
    agreed = bool(start and end)
    base = (_time(start), _time(end)) if agreed else default_window()
    slots = [(_time(s), _time(e)) for s, e in home_windows(reader).get(day.weekday(), [])] \
        if day is not None else []
    if not slots:
        return VisitWindow(*base)
    home = f"{WEEKDAY_SHORT[day.weekday()]} " + ", ".join(
        f"{s:%H:%M}–{e:%H:%M}" for s, e in slots)
    best = window_within(base, slots)
    if best is not None:
        return VisitWindow(best[0], best[1], home)
    if agreed:
        return VisitWindow(base[0], base[1], home, outside_home=True)
    widest = longest_span(slots)
    return VisitWindow(widest[0], widest[1], home)


# A title with no free copy ---------------------------------------------------------------------


@dataclass
class TitleWait:
    """Where the copies of a title are: `copies` that may come back to the shelf,
    `available` on it now, the earliest due date of those on loan, readers already waiting."""

    title_id: int
    copies: int = 0
    available: int = 0
    first_due: datetime.date | None = None
    waiting: int = 0

    @property
    def must_wait(self) -> bool:
        return self.available == 0

    def warning(self) -> str:
        """`All 3 copies are out; the first is due back on 14 December; 2 readers wait.`"""
        if self.copies == 0:
            parts = [_("the library has no copy of it")]
        elif self.copies == 1:
            parts = [_("its only copy is out")]
        else:
            parts = [ngettext("all %(count)s copy is out", "all %(count)s copies are out",
                              self.copies) % {"count": self.copies}]
        if self.first_due is not None:
            due = (_("it is due back on %(date)s") if self.copies == 1
                   else _("the first is due back on %(date)s"))
            parts.append(due % {"date": _say_day(self.first_due)})
        if self.waiting:
            parts.append(ngettext("%(count)s reader waits", "%(count)s readers wait",
                                  self.waiting) % {"count": self.waiting})
        else:
            parts.append(_("nobody else waits for it"))
        text = "; ".join(parts) + "."
        return text[:1].upper() + text[1:]


def _say_day(day: datetime.date) -> str:
    """`14 December`, `14 декабря`, `14 желтоқсан`: the day and month in the page's language."""
    if (get_language() or "").startswith("kk"):
        return f"{day.day} {KK_MONTHS[day.month - 1]}"
    return dateformat.format(day, "j E")


def title_waits(title_ids: Iterable[int], *,
                exclude_reader: Reader | int | None = None) -> dict[int, TitleWait]:
    """Each title's copies, free copies, first due date and waiting readers (other than
    `exclude_reader`), in three queries whatever the number of titles."""
    ids = sorted({int(i) for i in title_ids})
    result = {i: TitleWait(i) for i in ids}
    if not ids:
        return result
    for row in (Item.objects.filter(title_id__in=ids).exclude(status__in=GONE)
                .values("title_id")
                .annotate(copies=Count("id"),
                          available=Count("id", filter=Q(status=ItemStatus.AVAILABLE)))):
        result[row["title_id"]].copies = row["copies"]
        result[row["title_id"]].available = row["available"]
    for row in (Loan.objects.filter(title_id__in=ids, status=LoanStatus.ACTIVE)
                .values("title_id").annotate(first=Min("due_date"))):
        result[row["title_id"]].first_due = row["first"]
    waiting = OrderLine.objects.filter(title_id__in=ids, kind=LineKind.TITLE,
                                       status=LineStatus.WAITING,
                                       order__status__in=OPEN_STATUSES)
    if exclude_reader is not None:
        waiting = waiting.exclude(reader=exclude_reader)
    for row in waiting.values("title_id").annotate(readers=Count("reader", distinct=True)):
        result[row["title_id"]].waiting = row["readers"]
    return result


def waiting_sentence(titles: list[str]) -> str:
    """What the reader is told of titles that wait for a copy (read-back and SMS alike)."""
    if not titles:
        return ""
    names = ", ".join(f"«{t}»" for t in titles)
    return ngettext("%(titles)s: we will bring it when a copy is free.",
                    "%(titles)s: we will bring them when a copy is free.",
                    len(titles)) % {"titles": names}


# The read-back ---------------------------------------------------------------------------------


@dataclass
class ReadBack:
    """Everything the read-back says, as the order will then be."""

    reach: Reach
    window: VisitWindow | None
    waits: dict[int, TitleWait] = field(default_factory=dict)
    waiting_titles: list = field(default_factory=list)
    coming_titles: list = field(default_factory=list)
    date_promised: bool = False
    waiting_words: str = ""


def order_readback(*, reader: Reader, titles: list[Title], wishes: int,
                   preferred_date: datetime.date | None,
                   window_start: datetime.time | None = None,
                   window_end: datetime.time | None = None) -> ReadBack:
    """The read-back of an order being taken: the channel, the real window on the date, and
    which titles wait for a copy. A date is promised only for what can come that day: with
    every line a title waiting for a copy, the reader is told "when a copy is free"."""
    waits = title_waits([t.id for t in titles], exclude_reader=reader)
    waiting = [t for t in titles if waits[t.id].must_wait]
    coming = [t for t in titles if not waits[t.id].must_wait]
    promised = bool(preferred_date) and bool(coming or wishes)
    window = visit_window(reader, preferred_date, window_start, window_end) \
        if promised else None
    return ReadBack(reach=order_reach(reader), window=window, waits=waits,
                    waiting_titles=waiting, coming_titles=coming, date_promised=promised,
                    waiting_words=waiting_sentence([t.title for t in waiting]))


def _lines_known(order: Order) -> list[OrderLine] | None:
    """The order's lines when they are at hand (just written, or prefetched), else None."""
    cache = getattr(order, "_prefetched_objects_cache", {})
    return list(order.lines.all()) if "lines" in cache else None


def _waits(line: OrderLine) -> bool:
    return line.kind == LineKind.TITLE and line.status == LineStatus.WAITING


def order_date_promised(order: Order) -> bool:
    """A saved order's date means something only if some line can come that day (a wish,
    or a title with its copy reserved)."""
    if not order.preferred_date:
        return False
    lines = _lines_known(order)
    if lines is not None:
        return any(not _waits(line) for line in lines)
    return order.lines.exclude(kind=LineKind.TITLE, status=LineStatus.WAITING).exists()


def order_waiting_titles(order: Order) -> list[str]:
    lines = _lines_known(order)
    if lines is not None:
        return [line.title.title for line in lines if _waits(line)]
    return [line.title.title for line in order.lines.select_related("title")
            .filter(kind=LineKind.TITLE, status=LineStatus.WAITING)]
