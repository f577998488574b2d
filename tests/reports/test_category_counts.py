"""Readers served by category: each category of each reader counts, so a pensioner with a
disability group counts among the elderly and in the group, and the help text says so."""
import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import override

from backend.readers import services
from backend.reports.figures import summary
from tests.factories import BranchFactory, LoanFactory, ReaderFactory

ALMATY = ZoneInfo("Asia/Almaty")
OCTOBER = datetime.datetime(2026, 10, 10, 12, tzinfo=ALMATY)


def test_a_reader_in_two_categories_counts_in_both(db):
    branch = BranchFactory()
    both = services.reader_create(data={
        "branch": branch, "last_name": "Искакова", "first_name": "Роза",
        "category": "elderly", "categories": ["disability_2"]})
    veteran = services.reader_create(data={
        "branch": branch, "last_name": "Жаксылыков", "first_name": "Болат",
        "category": "veteran"})
    # A card written without category rows (older data) counts by its main category.
    plain = ReaderFactory(branch=branch, category="elderly")
    not_served = services.reader_create(data={
        "branch": branch, "last_name": "Тен", "first_name": "Ирина",
        "category": "disability_2", "categories": ["elderly"]})
    for reader in (both, veteran, plain):
        LoanFactory(reader=reader, issued_at=OCTOBER)
    LoanFactory(reader=not_served, issued_at=OCTOBER.replace(year=2025))

    with override("en"):
        rows = {row["key"]: row for row in summary(branch, "month", 2026, 10)["rows"]}
    assert rows["readers.served"]["value"] == 3
    assert rows["readers.category.elderly"]["value"] == 2
    assert rows["readers.category.disability_2"]["value"] == 1
    assert rows["readers.category.veteran"]["value"] == 1
    assert rows["readers.category.other"]["value"] == 0
    by_category = sum(row["value"] for key, row in rows.items()
                      if key.startswith("readers.category."))
    assert by_category == 4 > rows["readers.served"]["value"]
    assert "each" in rows["readers.category.elderly"]["help"]
