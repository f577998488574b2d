"""A coordinator re-plans a published day after a drop-out: a draft with its diff in words,
the volunteers' routes untouched until it is published."""
import pytest

from backend.routing import services
from backend.routing.models import DayPlan, PlanRevision, Stop
from tests.browser.test_plan import sign_in, small_day
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.routing.urls_plan_pages")]


def test_replan_of_a_published_day_is_a_draft_until_published(page):
    branch, day, orders, lost = small_day()
    plan = services.plan_get_or_create(branch=branch, date=day)
    services.plan_solve(plan=plan, time_limit=1)
    services.plan_publish(plan=plan)
    placed = dict(Stop.objects.filter(plan=plan).values_list("pk", "route_id"))
    morning = Stop.objects.filter(plan=plan, window_start__hour=9,
                                 route__isnull=False).first().route.volunteer
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={day.isoformat()}")
    assert page.locator("#plan-revision").is_hidden()

    page.select_option("#plan-drop", str(morning.pk))
    page.click("#plan-drop-solve")
    banner = page.locator("#plan-revision")
    banner.wait_for(state="visible")
    lines = page.locator("#plan-revision-diff li").all_text_contents()
    assert any(str(morning) in line for line in lines), lines
    assert page.locator("#plan-revision-publish").is_enabled()
    # The volunteers still see the published routes.
    assert dict(Stop.objects.filter(plan=plan).values_list("pk", "route_id")) == placed

    with page.expect_navigation():
        page.click("#plan-revision-publish")
    page.locator("#plan-state[data-status='published']").wait_for()
    assert page.locator("#plan-revision").is_hidden()
    assert not PlanRevision.objects.filter(plan=plan).exists()
    assert dict(Stop.objects.filter(plan=plan).values_list("pk", "route_id")) != placed
    assert DayPlan.objects.get(pk=plan.pk).status == "published"
