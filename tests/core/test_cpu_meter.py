"""The CPU meter of the load test: real figures by endpoint when CPU_METER_DIR is set, and
not in the chain at all when it is not."""
import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.test import override_settings

from backend.core.cpu_meter import CpuMeterMiddleware, read_totals
from tests.mobile_api.conftest import app_for, make_volunteer, published_route

ROUTE = "GET /api/mobile/v1/routes/<int:pk>/"


@pytest.fixture
def meter_off_after():
    yield
    CpuMeterMiddleware.totals = None


@pytest.mark.django_db
def test_the_meter_records_cpu_and_queries_of_each_request_by_endpoint(tmp_path,
                                                                       meter_off_after):
    volunteer = make_volunteer()
    route = published_route(volunteer, stops=2)
    with override_settings(CPU_METER_DIR=str(tmp_path)):
        app = app_for(volunteer)  # a new client: its handler loads the middleware now
        for _ in range(3):
            assert app.get(f"/api/mobile/v1/routes/{route.pk}/").status_code == 200
        assert app.get("/api/mobile/v1/me/routes/").status_code == 200
        CpuMeterMiddleware.totals.write()
    totals = read_totals(tmp_path)
    assert totals[ROUTE]["requests"] == 3
    assert totals[ROUTE]["cpu_s"] > 0
    assert totals[ROUTE]["queries"] >= 3 * 3  # the volunteer, the route, its stops at least
    assert totals[ROUTE]["db_s"] > 0
    assert totals["GET /api/mobile/v1/me/routes/"]["requests"] == 1


def middleware_names(client) -> list[str]:
    """The middleware instances of a client's handler, outermost first."""
    client.get("/health/")
    names, link = [], client.handler._middleware_chain
    while link is not None:
        link = getattr(link, "__wrapped__", link)  # convert_exception_to_response's wrapper
        names.append(type(link).__name__)
        link = getattr(link, "get_response", None)
    return names


@pytest.mark.django_db
def test_without_a_folder_the_meter_is_not_in_the_chain(tmp_path, meter_off_after):
    from django.test import Client

    with override_settings(CPU_METER_DIR=""):
        with pytest.raises(MiddlewareNotUsed):
            CpuMeterMiddleware(lambda request: None)
        names = middleware_names(Client())
    assert "CSPMiddleware" in names and "CpuMeterMiddleware" not in names
    with override_settings(CPU_METER_DIR=str(tmp_path)):
        assert middleware_names(Client())[0] == "CpuMeterMiddleware"
