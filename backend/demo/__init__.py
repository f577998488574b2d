"""Demo data, on the top floor of the house: it may import every app, and no app imports it.

- `manage.py seed_demo` (and `make run`) loads the demo district: the steps in `district.py`
  (branches, staff, readers, families), `catalog.py`, `volunteers.py`, `circulation.py`
  (past visits and loans), `orders.py` (standing plans, orders) and `routing.py` (today's
  routes), with their data under `fixtures/demo/`. `base.py` is the machinery.
- `manage.py seed_city` generates a city-sized database for load tests (`city/`).

To add to the demo district, write a step in a module here and list the module in
`base.STEP_MODULES`:

    # backend/demo/catalog.py
    from backend.demo.base import DemoContext, demo_step

    @demo_step("catalog", order=500)
    def load_catalog(ctx: DemoContext) -> None:
        for row in ctx.fixture("catalog.json")["titles"]:
            ...                       # find it, or create it through backend.catalog.services
            ctx.made("titles")        # or ctx.kept("titles") when it was already there
        ctx.extra["titles"] = {...}   # what later steps need to look up

Steps run by `order` (see base.py for the slots taken), all in one transaction, and must
be idempotent: a second run creates nothing.

This package is an installed app, so it imports no model here: the step modules are
loaded by `base.registered_steps()` when a run asks for them.
"""
