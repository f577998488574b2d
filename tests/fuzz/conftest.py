"""The fuzzer's district: built once per module, rolled back when the module ends."""
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction

from tests.fuzz.world import REAL_IDS, build_world

PLANNER_SECONDS = 0.05


def _quick(search):
    def run(*args, **kwargs):
        kwargs["time_limit"] = min(kwargs.get("time_limit") or PLANNER_SECONDS, PLANNER_SECONDS)
        return search(*args, **kwargs)

    return run


@pytest.fixture(scope="module")
def quick_planner():
    """The planner runs in-process in tests and searches for as long as it is asked (up to
    600 s); the answer's shape does not depend on how long it searched, so keep it short."""
    from backend.routing import services

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services.solver, "solve", _quick(services.solver.solve))
        patch.setattr(services, "solver_replan", _quick(services.solver_replan))
        yield


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, quick_planner):
    # Requests go through Django's WSGI handler, which closes "old" connections when a request
    # starts and ends; inside a test's transaction that would throw the transaction away.
    # Django's own test client disconnects these receivers the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
            REAL_IDS.clear()
            REAL_IDS.update(built.ids)
            yield built
        finally:
            REAL_IDS.clear()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
