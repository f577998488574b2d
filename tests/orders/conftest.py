"""Fixtures of the orders tests."""
import pytest


@pytest.fixture(params=["update-returning", "one-by-one"])
def reserving(request, monkeypatch) -> str:
    """A line's copy chosen and reserved by one UPDATE where it can return rows, and tried
    copy by copy (as on a database whose UPDATE cannot) everywhere."""
    from backend.orders import reserving

    if request.param == "update-returning":
        if not reserving.update_returns_rows():
            pytest.skip("this database's UPDATE returns no rows")
    else:
        monkeypatch.setattr(reserving, "update_returns_rows", lambda: False)
    return request.param
