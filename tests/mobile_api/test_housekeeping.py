"""Records the app's server side keeps only for a while are pruned by the nightly job."""
import datetime

from django.utils import timezone

from mobile_api.models import IdempotencyRecord, SignInCode, SignInLock
from mobile_api.tasks import prune_task

NOW = timezone.now()


def test_old_records_go_and_recent_ones_stay(make_user, settings):
    settings.MOBILE_IDEMPOTENCY_DAYS = 30
    settings.MOBILE_LOCKOUT_MINUTES = 15
    user = make_user("volunteer")
    old = IdempotencyRecord.objects.create(user=user, key="old", method="POST", path="/x",
                                           body_hash="h", response={"reader": "Иванова"})
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=NOW - datetime.timedelta(days=31))
    recent = IdempotencyRecord.objects.create(user=user, key="new", method="POST", path="/x",
                                              body_hash="h")
    SignInCode.objects.create(user=user, phone="+77011112233", code_hash="x",
                              expires_at=NOW - datetime.timedelta(days=2))
    fresh_code = SignInCode.objects.create(user=user, phone="+77011112233", code_hash="y",
                                           expires_at=NOW + datetime.timedelta(minutes=5))
    SignInLock.objects.create(key="phone:+77011112233", failures=2,
                              first_failure_at=NOW - datetime.timedelta(hours=1))
    SignInLock.objects.create(key="staff:alma", failures=5,
                              first_failure_at=NOW - datetime.timedelta(minutes=20),
                              locked_until=NOW + datetime.timedelta(minutes=10))
    SignInLock.objects.create(key="staff:bolat", failures=1,
                              first_failure_at=NOW - datetime.timedelta(minutes=2))

    assert prune_task.delay().get() == {"idempotency_answers": 1, "sign_in_codes": 1,
                                        "sign_in_locks": 1}
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(SignInCode.objects.values_list("pk", flat=True)) == [fresh_code.pk]
    assert set(SignInLock.objects.values_list("key", flat=True)) == {"staff:alma",
                                                                     "staff:bolat"}
