"""The demo district behind `manage.py seed_demo` and `make run`.

To add to the demo (a catalog, loans, standing plans, today's routes ...), write a
module `demo.py` in your app with a step and its data under `fixtures/demo/`:

    # backend/catalog/demo.py
    from backend.core.demo import DemoContext, demo_step

    @demo_step("catalog", order=500)
    def load_catalog(ctx: DemoContext) -> None:
        for row in ctx.fixture("catalog.json")["titles"]:
            ...                       # find it, or create it through backend.catalog.services
            ctx.made("titles")        # or ctx.kept("titles") when it was already there
        ctx.extra["titles"] = {...}   # what later steps need to look up

`seed_demo` imports every installed app's `demo` module, so nothing else needs editing.
Steps run by `order` (see base.py for the slots taken and reserved), all in one
transaction, and must be idempotent: a second run creates nothing.
"""
from backend.core.demo import district  # noqa: F401  (registers the district's steps)
from backend.core.demo.base import (
    FIXTURES_DIR,
    DemoContext,
    DemoDataError,
    DemoStep,
    demo_step,
    load_demo,
    registered_steps,
)

__all__ = [
    "FIXTURES_DIR", "DemoContext", "DemoDataError", "DemoStep", "demo_step", "load_demo",
    "registered_steps",
]
