"""The city's catalog: titles and their copies on the branches' shelves."""
from __future__ import annotations

import datetime
import math
from collections import defaultdict

from backend.demo.city.base import (
    ACTIVE_LOAN_SHARE,
    CODE_PREFIX,
    HISTORY_DAYS,
    CityBase,
)
from backend.demo.city.words import (
    AUTHORS,
    SUBJECTS,
    TITLE_WORDS,
)


class Stock(CityBase):
    """The catalog phase, and the shelves later phases take copies from."""

    def catalog(self) -> None:
        from backend.catalog.models import Format, Item, Title
        from backend.catalog.selectors import subjects_key, title_search_fields

        languages = (("ru", 55), ("kk", 40), ("en", 5))
        formats = ((Format.PRINT, 70), (Format.LARGE_PRINT, 18), (Format.AUDIO, 10),
                   (Format.BRAILLE, 2))
        # Shelves: (branch, language) -> copies free to lend or reserve.
        self.shelf: dict[tuple[int, str], list] = defaultdict(list)
        self.copies_of: dict[tuple[int, str], list] = defaultdict(list)
        needed = self.scale.loans * ACTIVE_LOAN_SHARE + self.scale.volunteers * \
            self.scale.stops_per_route * 5
        per_title = max(4, math.ceil(2.5 * needed / self.scale.titles))
        serial = 0
        added = self.at(self.today - datetime.timedelta(days=HISTORY_DAYS + 60), 10)
        for _ in range(self.scale.titles):
            language = self.weighted(languages)
            adjectives, nouns = TITLE_WORDS[language]
            title = self.add(Title(
                id=self.ids(Title),
                title=f"{self.rng.choice(adjectives)} {self.rng.choice(nouns)}",
                authors=[self.rng.choice(AUTHORS[language])], language=language,
                format=self.weighted(formats),
                subjects=self.rng.sample(SUBJECTS[language], min(2, len(SUBJECTS[language]))),
                year=self.rng.randint(1960, 2025), publisher=self.rng.choice(
                    ["Фолиант", "Жазушы", "Эксмо", "Атамұра", "АСТ"]),
                created_at=added, updated_at=added))
            title_search_fields(title)
            title.subjects_key = subjects_key(title.subjects)
            copies = self.rng.randint(max(1, per_title - 3), per_title + 3)
            for _ in range(copies):
                serial += 1
                branch = self.rng.choice(self.branch_list)
                item = self.add(Item(
                    id=self.ids(Item), title=title, barcode=f"{CODE_PREFIX}-{serial:08d}",
                    branch=branch, status="available",
                    shelf_mark=f"{self.rng.randint(80, 89)}.{self.rng.randint(1, 9)}",
                    created_at=added, updated_at=added))
                shelf_language = language if language != "en" else "ru"
                self.shelf[(branch.pk, shelf_language)].append(item)
                self.copies_of[(branch.pk, shelf_language)].append(item)
        for copies in self.shelf.values():
            self.rng.shuffle(copies)
        self.flush(Title)

    def take_copy(self, branch, language: str, status: str):
        """A copy off the shelf (its own branch first, then any branch), now `status`."""
        keys = [(branch.pk, language)] + [(b.pk, language) for b in self.branch_list
                                          if b.pk != branch.pk]
        for key in keys:
            if self.shelf[key]:
                item = self.shelf[key].pop()
                item.status = status
                return item
        raise RuntimeError(f"No copy left in {language}: the catalog is too small for the loans.")
