"""Sign-in lockout counters are pruned by the nightly job once their window and lock are over."""
import datetime

from django.utils import timezone

from backend.accounts.models import SignInLock
from backend.accounts.tasks import prune_sign_in_locks_task

NOW = timezone.now()


def test_finished_lockouts_go_and_live_ones_stay(db, settings):
    settings.MOBILE_LOCKOUT_MINUTES = 15
    SignInLock.objects.create(key="phone:+77011112233", failures=2,
                              first_failure_at=NOW - datetime.timedelta(hours=1))
    SignInLock.objects.create(key="staff:alma", failures=5,
                              first_failure_at=NOW - datetime.timedelta(minutes=20),
                              locked_until=NOW + datetime.timedelta(minutes=10))
    SignInLock.objects.create(key="staff:bolat", failures=1,
                              first_failure_at=NOW - datetime.timedelta(minutes=2))

    assert prune_sign_in_locks_task.delay().get() == 1
    assert set(SignInLock.objects.values_list("key", flat=True)) == {"staff:alma",
                                                                     "staff:bolat"}
