"""An action's answer (mobile_api.serializers.action_answer, a plain dict) against what
ActionResultSerializer, the schema, writes field by field: every action's shape, times in
the zone the request runs in, empty and None values, and through the API."""
import datetime
import zoneinfo

import pytest
from django.utils import timezone

from backend.routing.models import RouteStatus, StopStatus
from mobile_api.serializers import ActionResultSerializer, action_answer
from tests.answer_shape import as_json, assert_same_answer, field_by_field
from tests.mobile_api.conftest import due_back, post, stops_of, to_hand_over

API = "/api/mobile/v1/"
UTC = datetime.UTC
AT = datetime.datetime(2026, 11, 25, 4, 2, 11, 123456, tzinfo=UTC)


def _route(**changes):
    return {"id": 12, "status": RouteStatus.STARTED, "version": 7, "started_at": AT,
            "finished_at": None, **changes}


def _stop(**changes):
    return {"id": 301, "status": StopStatus.COMPLETED, "arrived_at": AT,
            "completed_at": AT + datetime.timedelta(minutes=8), "fail_reason": "",
            "note": "Звонил дважды", **changes}


RESULTS = {
    "start": {"action": "start", "route": _route()},
    "finish": {"action": "finish",
               "route": _route(status=RouteStatus.FINISHED, finished_at=AT)},
    "start (not yet started)": {"action": "start",
                                "route": _route(status="published", started_at=None)},
    "arrive": {"action": "arrive", "stop": _stop(status=StopStatus.ARRIVED, completed_at=None,
                                                  note=""), "route": _route()},
    "fail": {"action": "fail", "stop": _stop(status=StopStatus.FAILED, fail_reason="not_home"),
             "route": _route()},
    "complete": {"action": "complete",
                 "loans": [{"barcode": "KZ-0001234", "due_date": datetime.date(2026, 12, 25)},
                           {"barcode": "KZ-0001235", "due_date": datetime.date(2026, 12, 25)}],
                 "returns": [{"barcode": "KZ-0000977"}],
                 "stop": _stop(), "route": _route()},
    "complete (nothing handed over)": {"action": "complete", "loans": [], "returns": [],
                                       "stop": _stop(), "route": _route()},
}


@pytest.mark.parametrize("zone", ["UTC", "Asia/Almaty", "Asia/Qostanay"])
@pytest.mark.parametrize("name", list(RESULTS))
def test_an_action_answers_what_the_serializer_writes(name, zone):
    result = RESULTS[name]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        plain = action_answer(result)
        # What the action answered before: DRF's serializer, fields left out where the
        # action has none (required=False).
        assert_same_answer(plain, ActionResultSerializer(result).data)
        if all(key in result for key in ("stop", "loans", "returns")):
            assert_same_answer(plain, field_by_field(ActionResultSerializer, result))
    assert list(plain) == [key for key in ("action", "route", "stop", "loans", "returns")
                           if key in result]
    if zone != "UTC" and result["route"]["started_at"] is not None:  # in the request's zone
        assert not plain["route"]["started_at"].endswith("Z")


def test_the_apis_answers_are_the_serializers(app, route):
    """Each action through the API: the answer as sent is what the serializer writes of it."""
    first, second, _third = stops_of(route)
    answers = [post(app, f"{API}stops/{first.pk}/arrive/"),
               post(app, f"{API}stops/{first.pk}/complete/",
                    {"delivered": to_hand_over(first), "collected": due_back(first)}),
               post(app, f"{API}stops/{second.pk}/fail/", {"reason": "not_home"}),
               post(app, f"{API}routes/{route.pk}/finish/")]
    for answer in answers:
        assert answer.status_code == 200
        body = answer.json()
        assert as_json(ActionResultSerializer(body).data) == body
    assert [list(answer.json()) for answer in answers] == [
        ["action", "route", "stop"], ["action", "route", "stop", "loans", "returns"],
        ["action", "route", "stop"], ["action", "route"]]
    assert len(answers[1].json()["loans"]) == 2 and len(answers[1].json()["returns"]) == 1
