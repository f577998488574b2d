"""The machinery of the demo district: a registry of steps, their shared context, the run.

A step is a plain function `step(ctx: DemoContext) -> None`. It reads its part of the
demo from JSON under `fixtures/demo/`, writes through the app's services (so numbers,
search text and card history are made the normal way) and records what it made in
`ctx`, where later steps find it: `ctx.readers["bsh-01"]`, `ctx.users["volunteer1"]`.

Every step must be idempotent: on a database that already holds its rows it creates
nothing and only fills `ctx` with what is there, so the steps after it still work.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"

# Where a step's `order` should sit, so that what it needs exists before it runs.
ORDER_BRANCHES = 100
ORDER_STAFF = 200
ORDER_READERS = 300
ORDER_FAMILIES = 400
# The other steps: catalog 500, volunteer profiles 600, loans and reading history 700,
# standing plans 800, orders 900, today's routes 1000.

# The modules of this package that hold steps; each registers its own when imported.
STEP_MODULES = ("district", "catalog", "volunteers", "circulation", "orders", "routing")


class DemoDataError(Exception):
    """A fixture row that cannot be loaded; the message names the file and the row."""


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    func: Callable[[DemoContext], None]

    def __call__(self, ctx: DemoContext) -> None:
        self.func(ctx)


_REGISTRY: dict[str, DemoStep] = {}


def demo_step(name: str, *, order: int) -> Callable[[Callable], Callable]:
    """Register a function as a step of `seed_demo`. Steps run by ascending `order`."""

    def register(func: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"Two demo steps are called {name!r}.")
        _REGISTRY[name] = DemoStep(name=name, order=order, func=func)
        return func

    return register


def registered_steps() -> list[DemoStep]:
    """Every step of the demo district (the modules in STEP_MODULES), in running order."""
    for module in STEP_MODULES:
        import_module(f"{__package__}.{module}")
    return sorted(_REGISTRY.values(), key=lambda step: (step.order, step.name))


@dataclass
class DemoContext:
    """What one run of the demo has made or found so far, for the steps that follow."""

    fixtures_dir: Path = FIXTURES_DIR
    password: str = ""
    out: Callable[[str], None] = print
    today: date = field(default_factory=timezone.localdate)
    branches: dict[str, Any] = field(default_factory=dict)  # code -> Branch
    users: dict[str, Any] = field(default_factory=dict)  # username -> User
    readers: dict[str, Any] = field(default_factory=dict)  # fixture key -> Reader
    families: dict[str, Any] = field(default_factory=dict)  # fixture key -> FamilyCard
    created: Counter = field(default_factory=Counter)  # label -> rows made in this run
    found: Counter = field(default_factory=Counter)  # label -> rows already there
    extra: dict[str, Any] = field(default_factory=dict)  # for later steps' own registries

    @property
    def actor(self):
        """Who the demo's cards are recorded as made by: the librarian, once it exists."""
        return self.users.get("librarian")

    def fixture(self, name: str) -> Any:
        """The parsed JSON file `name` under the fixtures directory."""
        path = self.fixtures_dir / name
        try:
            with path.open(encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError as exc:
            raise DemoDataError(f"{path}: no such fixture file.") from exc
        except json.JSONDecodeError as exc:
            raise DemoDataError(f"{path}, line {exc.lineno}: {exc.msg}.") from exc

    def made(self, label: str, count: int = 1) -> None:
        self.created[label] += count

    def kept(self, label: str, count: int = 1) -> None:
        self.found[label] += count


def load_demo(
    steps: Iterable[DemoStep | Callable[[DemoContext], None]] | None = None,
    *,
    fixtures_dir: Path | str | None = None,
    password: str | None = None,
    out: Callable[[str], None] | None = None,
) -> DemoContext:
    """Run the demo steps (all registered ones by default) in one transaction.

    A failing step rolls back the whole run: the database is never left half-seeded.
    """
    ctx = DemoContext(
        fixtures_dir=Path(fixtures_dir) if fixtures_dir else FIXTURES_DIR,
        password=password if password is not None else settings.DEMO_PASSWORD,
        out=out or (lambda line: None),
    )
    chosen = list(steps) if steps is not None else registered_steps()
    with transaction.atomic():
        for step in chosen:
            step(ctx)
    return ctx
