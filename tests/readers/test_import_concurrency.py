"""A city's reader list imported while the day goes on.

20,000 rows are imported by `manage.py import_readers` in a process of its own while this
test, for the whole length of the import, does what volunteers and librarians do: arrives at
and completes stops through the volunteers' app API and edits reader cards through the staff
API. Nothing may give way: the import creates every card, every request of the day answers
200 (never 503 "database is locked"), and every write of both sides is there afterwards.

On SQLite the test database is copied to a file (tests/shared_db.py) so that both processes
write to the same database, with the settings the service runs with.
"""
import subprocess
import time

import pytest

from backend.readers.management.commands.bench_import import bench_rows, rows_csv
from backend.readers.models import CardChange, Reader, ReaderPhone
from backend.routing.models import Stop
from tests.factories import BranchFactory, ReaderFactory
from tests.mobile_api.conftest import (
    app_for,
    make_volunteer,
    post,
    published_route,
    stops_of,
    to_hand_over,
)
from tests.shared_db import manage, shared_db  # noqa: F401 - a fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 20_000
APP = "/api/mobile/v1/"
# Only a guard against a hung import: the assertions do not depend on time.
GIVE_UP_AFTER = 300


class Day:
    """Volunteers at doors and librarians at cards, one write after another."""

    def __init__(self, api):
        self.librarian = api.as_role("librarian")
        self.cards = [ReaderFactory() for _ in range(3)]
        self.edits: dict[int, str] = {}
        self.stops: list[Stop] = []
        self.completed: list[int] = []
        self.answers: list[tuple[str, int, bytes]] = []
        self.count = 0

    def _next_stop(self):
        if not self.stops:
            volunteer = make_volunteer()
            self.app = app_for(volunteer)
            self.stops = stops_of(published_route(volunteer, stops=3, items=1, collect=0))
        return self.stops.pop(0)

    def _answer(self, what: str, response) -> None:
        self.answers.append((what, response.status_code, response.content[:300]))

    def step(self) -> None:
        self.count += 1
        card = self.cards[self.count % len(self.cards)]
        notes = f"Звонить заранее, правка {self.count}"
        self._answer("card edit", self.librarian.patch(
            f"/api/v1/readers/{card.pk}/", {"access_notes": notes}, format="json"))
        self.edits[card.pk] = notes
        stop = self._next_stop()
        self._answer("arrive", post(self.app, f"{APP}stops/{stop.pk}/arrive/"))
        self._answer("complete", post(self.app, f"{APP}stops/{stop.pk}/complete/",
                                      {"delivered": to_hand_over(stop), "collected": []}))
        self.completed.append(stop.pk)


def test_import_of_20000_readers_succeeds_while_volunteers_act_and_cards_are_edited(
    shared_db, api, tmp_path  # noqa: F811
):
    BranchFactory(code="CITY", name="City branch")
    rows = bench_rows(ROWS, "CITY")
    path = tmp_path / "readers.csv"
    path.write_bytes(rows_csv(rows))
    day = Day(api)
    day.step()  # the day has begun before the import starts
    importer = subprocess.Popen(
        manage("import_readers", str(path), "--no-progress"), env=shared_db.env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + GIVE_UP_AFTER
    try:
        while importer.poll() is None and time.monotonic() < deadline:
            day.step()
    finally:
        if importer.poll() is None:
            importer.kill()
        out, err = importer.communicate()
    day.step()  # and goes on after it

    assert importer.returncode == 0, (out[-2000:], err[-2000:])
    assert f"{ROWS} rows, {ROWS} created" in out
    refused = [answer for answer in day.answers if answer[1] != 200]
    assert refused == []
    assert day.count > 3  # the day went on during the import, not only around it

    # The import: every card, with its phones and its history entry.
    imported = Reader.objects.filter(branch__code="CITY")
    assert imported.count() == ROWS
    assert ReaderPhone.objects.filter(reader__branch__code="CITY").count() == sum(
        1 + bool(row["phone2"]) for row in rows)
    assert CardChange.objects.filter(reader__branch__code="CITY",
                                     action=CardChange.Action.IMPORTED).count() == ROWS
    assert not imported.filter(card_number__startswith="~").exists()

    # The day: every door done, every edit kept and in the card's history.
    assert Stop.objects.filter(pk__in=day.completed, status="completed").count() == len(
        day.completed)
    for pk, notes in day.edits.items():
        assert Reader.objects.get(pk=pk).access_notes == notes
    assert CardChange.objects.filter(
        reader__in=day.cards, action=CardChange.Action.UPDATED).count() == day.count


@pytest.mark.django_db
def test_a_matching_card_added_while_the_import_prepares_is_found_not_imported_twice():
    """The duplicates check runs before the write transaction and again inside it: a card
    added in between (here: by the progress callback, as the transaction begins) makes the
    import look again, so the row is skipped as the duplicate it now is."""
    from backend.readers.imports import import_readers
    from backend.readers.services import reader_create

    branch = BranchFactory(code="RACE")
    rows = bench_rows(3, "RACE")
    added = []

    def progress(phase, done, total):
        if phase == "write" and done == 0 and not added:
            added.append(reader_create(data={
                "branch": branch, "last_name": "Ранняя", "first_name": "Карточка",
                "category": "elderly", "birth_date": _date(rows[1]["birth_date"]),
                "phones": [{"number": rows[1]["phone1"], "kind": "mobile"}]}))

    report = import_readers(content=rows_csv(rows), filename="r.csv", progress=progress)

    assert report.ok and report.created == 2 and report.skipped == 1
    assert [(d.row, d.existing_card) for d in report.duplicates] == [(3, added[0].card_number)]
    assert Reader.objects.filter(branch=branch).count() == 3


def _date(dotted: str):
    import datetime

    day, month, year = (int(part) for part in dotted.split("."))
    return datetime.date(year, month, day)
