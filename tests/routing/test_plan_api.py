"""The coordinator's day-plan API."""
import io
import json

import pytest
from django.core.management import call_command

from backend.orders.models import Order
from backend.routing.models import DayPlan
from tests.broker import RedisServer, celery_on, running
from tests.reports.factories import RouteFactory
from tests.routing.test_planning import reader_at, ready_order, volunteer


def test_coordinator_plans_and_publishes_a_day(api, depot, day):
    v = volunteer(depot)
    order = ready_order(reader_at(depot, 69.01), day)
    client = api.as_role("coordinator")
    created = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                          format="json")
    assert created.status_code == 201
    again = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                        format="json")
    assert (again.status_code, again.json()["id"]) == (200, created.json()["id"])
    plan_id = created.json()["id"]
    early = client.post(f"/api/v1/plans/{plan_id}/publish/")
    assert (early.status_code, early.json()["code"]) == (409, "plan.not_planned")
    solved = client.post(f"/api/v1/plans/{plan_id}/solve/", {"time_limit": 1}, format="json")
    assert solved.status_code == 200, solved.json()
    body = solved.json()
    assert body["solve_status"] == "done"
    assert body["figures"]["served"] == 1
    assert [r["volunteer"]["id"] for r in body["routes"]] == [v.pk]
    stop = body["routes"][0]["stops"][0]
    assert stop["orders"] == [order.pk] and stop["expected_arrival"]
    published = client.post(f"/api/v1/plans/{plan_id}/publish/")
    assert published.json()["status"] == "published"
    assert Order.objects.get(pk=order.pk).status == "scheduled"


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")
def test_with_a_broker_planning_is_queued_and_answers_202(api, depot, day):
    """Production sends planning to a Celery worker and keeps no task results: the answer
    is the queued plan at once (not a 500 from asking the task whether it is done)."""
    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    plan = DayPlan.objects.create(branch=depot, date=day)
    client = api.as_role("coordinator")
    with running(RedisServer()) as redis, celery_on(redis.url()):
        response = client.post(f"/api/v1/plans/{plan.pk}/solve/", {"time_limit": 1},
                               format="json")
    assert response.status_code == 202, response.content
    assert response.json()["solve_status"] == "queued"
    assert "changes" not in response.json()


def test_other_roles(api, depot, day):
    plan = DayPlan.objects.create(branch=depot, date=day)
    assert api.as_role("volunteer").get(f"/api/v1/plans/{plan.pk}/").status_code == 403
    operator = api.as_role("operator")
    assert operator.get(f"/api/v1/plans/{plan.pk}/").status_code == 200
    assert operator.post(f"/api/v1/plans/{plan.pk}/solve/").status_code == 403
    librarian = api.as_role("librarian")
    assert librarian.post(f"/api/v1/plans/{plan.pk}/publish/").status_code == 403
    missing = api.as_role("coordinator").get("/api/v1/plans/999999/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_bad_time_limit_names_the_field(api, depot, day):
    plan = DayPlan.objects.create(branch=depot, date=day)
    response = api.as_role("coordinator").post(f"/api/v1/plans/{plan.pk}/solve/",
                                               {"time_limit": 0}, format="json")
    assert response.status_code == 400
    assert "time_limit" in response.json()["fields"]


def write_instance(path, customers):
    lines = ["TINY", "", "VEHICLE", "NUMBER     CAPACITY", "  5         50", "", "CUSTOMER",
             "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME", "",
             "    0      50         50          0          0       1000          0"]
    for number, (x, y) in enumerate(customers, start=1):
        lines.append(f"{number:5d} {x:8d} {y:9d} {10:10d} {0:10d} {1000:9d} {10:10d}")
    path.write_text("\n".join(lines) + "\n")


def test_bench_routing_command_writes_feasible_routes(tmp_path):
    write_instance(tmp_path / "T1.txt", [(60, 50), (70, 50), (50, 60), (50, 70), (40, 40)])
    (tmp_path / "BKS.csv").write_text("instance,vehicles,distance,source\nT1,1,1,test\n")
    out = tmp_path / "out.json"
    log = io.StringIO()
    call_command("bench_routing", "--instances", str(tmp_path), "--time-limit", "1",
                 "--peers", "none", "--json", str(out), stdout=log)
    result = json.loads(out.read_text())
    assert [r["instance"] for r in result] == ["T1"]
    served = sorted(c for route in result[0]["routes"] for c in route)
    assert served == [1, 2, 3, 4, 5]
    assert "T1" in log.getvalue()


def test_an_id_no_database_can_hold_is_a_bad_parameter_not_a_500(api, depot, day):
    client = api.as_role("coordinator")
    listed = client.get("/api/v1/plans/", {"branch": 10**30})
    assert (listed.status_code, list(listed.json()["fields"])) == (400, ["branch"])
    plan = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                       format="json").json()
    solved = client.post(f"/api/v1/plans/{plan['id']}/solve/",
                         {"drop_volunteers": [10**30]}, format="json")
    assert (solved.status_code, list(solved.json()["fields"])) == (400, ["drop_volunteers"])
    route = RouteFactory(plan__branch=depot)
    reordered = client.post(f"/api/v1/routes/{route.pk}/resequence/", {"stops": [10**30]},
                            format="json")
    assert (reordered.status_code, list(reordered.json()["fields"])) == (400, ["stops"])


def test_a_day_without_volunteers_and_a_replan_without_the_last_one(api, depot, day):
    client = api.as_role("coordinator")
    ready_order(reader_at(depot, 69.01), day)
    plan = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                       format="json").json()
    nobody = client.post(f"/api/v1/plans/{plan['id']}/solve/", {"time_limit": 1},
                         format="json")
    assert nobody.status_code == 200, nobody.json()
    assert nobody.json()["figures"]["served"] == 0
    v = volunteer(depot)
    solved = client.post(f"/api/v1/plans/{plan['id']}/solve/", {"time_limit": 1},
                         format="json")
    assert solved.json()["figures"]["served"] == 1
    dropped = client.post(f"/api/v1/plans/{plan['id']}/solve/",
                          {"time_limit": 1, "drop_volunteers": [v.pk]}, format="json")
    assert dropped.status_code == 200, dropped.json()
    assert dropped.json()["figures"]["served"] == 0
    assert dropped.json()["routes"] == []


def test_the_planners_progress_alone_reads_one_row_and_logs_no_card(api, depot, day):
    """A page waiting on the planner asks for its state each second: the answer is the state
    and progress of the plan alone, read in one statement, naming no reader."""
    from django.db import connection

    from backend.readers.models import CardAccess

    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    client = api.as_role("coordinator")
    plan_id = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                          format="json").json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/solve/", {"time_limit": 1},
                       format="json").status_code == 200
    progress = {"elapsed": 4.5, "served": 3, "unserved": 1, "volunteers": 2}
    DayPlan.objects.filter(pk=plan_id).update(solve_status="running", progress=progress)
    logged = CardAccess.objects.count()
    statements: list[str] = []

    def record(execute, sql, params, many, context):  # a request resets connection.queries
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(f"/api/v1/plans/{plan_id}/progress/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "status", "solve_status", "progress", "solved_at"}
    assert (body["id"], body["status"], body["solve_status"], body["progress"]) == (
        plan_id, "draft", "running", progress)
    assert body["solved_at"] == client.get(f"/api/v1/plans/{plan_id}/").json()["solved_at"]
    read = [sql for sql in statements if "routing_" in sql]
    assert len(read) == 1 and "routing_dayplan" in read[0], read
    assert not any("routing_stop" in sql or "readers_" in sql for sql in statements), statements
    assert CardAccess.objects.count() == logged + 1  # the full plan's read above, not this one

    assert api.as_role("volunteer").get(f"/api/v1/plans/{plan_id}/progress/").status_code == 403
    assert api.as_role("operator").get(f"/api/v1/plans/{plan_id}/progress/").status_code == 200
    missing = client.get("/api/v1/plans/999999/progress/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
