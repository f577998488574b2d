"""Planning in the background: a Celery task (eager, in-process, by default)."""
import logging
import time

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerError

from backend.core.exceptions import ServiceUnavailable
from backend.routing.models import DayPlan, SolveStatus

logger = logging.getLogger(__name__)


@shared_task(name="routing.plan_day")
def plan_day_task(plan_id: int, time_limit: float = 10.0, user_id: int | None = None,
                  drop_volunteers: list[int] | None = None,
                  requested_at: float | None = None) -> dict:
    """`requested_at` (seconds since the epoch) starts the time limit at the request, so the
    time the task waited in the queue comes out of it too."""
    from django.contrib.auth import get_user_model

    from backend.routing import services
    from backend.routing.deadline import Deadline

    deadline = Deadline(time_limit, started=requested_at)
    plan = DayPlan.objects.select_related("branch").get(pk=plan_id)
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if drop_volunteers:
        return services.plan_replan(plan=plan, by=by, drop_volunteers=drop_volunteers,
                                    time_limit=time_limit, deadline=deadline)
    return services.plan_solve(plan=plan, by=by, time_limit=time_limit, deadline=deadline)


def enqueue_planning(plan: DayPlan, *, time_limit: float, by=None,
                     drop_volunteers: list[int] | None = None):
    """Queue the planner for a plan (runs at once when tasks are eager).

    With the task broker down nothing is queued: the plan keeps the status it had (it does
    not wait forever as "queued") and the coordinator is told to try again (503)."""
    requested_at = time.time()
    before = DayPlan.objects.filter(pk=plan.pk).values("solve_status", "progress").first()
    DayPlan.objects.filter(pk=plan.pk).update(solve_status=SolveStatus.QUEUED, progress={})
    try:
        return plan_day_task.delay(plan.pk, time_limit, getattr(by, "pk", None),
                                   list(drop_volunteers or []), requested_at)
    except BrokerError as exc:
        logger.warning("Plan %s not queued: the task broker did not answer (%s)", plan.pk, exc)
        DayPlan.objects.filter(pk=plan.pk, solve_status=SolveStatus.QUEUED).update(**before)
        raise ServiceUnavailable() from exc
