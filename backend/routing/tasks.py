"""Planning in the background: a Celery task (eager, in-process, by default)."""
import logging

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerError

from backend.core.exceptions import ServiceUnavailable
from backend.routing.models import DayPlan, SolveStatus

logger = logging.getLogger(__name__)


@shared_task(name="routing.plan_day")
def plan_day_task(plan_id: int, time_limit: float = 10.0, user_id: int | None = None,
                  drop_volunteers: list[int] | None = None) -> dict:
    from django.contrib.auth import get_user_model

    from backend.routing import services

    plan = DayPlan.objects.select_related("branch").get(pk=plan_id)
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if drop_volunteers:
        return services.plan_replan(plan=plan, by=by, drop_volunteers=drop_volunteers,
                                    time_limit=time_limit)
    return services.plan_solve(plan=plan, by=by, time_limit=time_limit)


def enqueue_planning(plan: DayPlan, *, time_limit: float, by=None,
                     drop_volunteers: list[int] | None = None):
    """Queue the planner for a plan (runs at once when tasks are eager).

    With the task broker down nothing is queued: the plan keeps the status it had (it does
    not wait forever as "queued") and the coordinator is told to try again (503)."""
    before = DayPlan.objects.filter(pk=plan.pk).values("solve_status", "progress").first()
    DayPlan.objects.filter(pk=plan.pk).update(solve_status=SolveStatus.QUEUED, progress={})
    try:
        return plan_day_task.delay(plan.pk, time_limit, getattr(by, "pk", None),
                                   list(drop_volunteers or []))
    except BrokerError as exc:
        logger.warning("Plan %s not queued: the task broker did not answer (%s)", plan.pk, exc)
        DayPlan.objects.filter(pk=plan.pk, solve_status=SolveStatus.QUEUED).update(**before)
        raise ServiceUnavailable() from exc
