"""Records the app's server side keeps only for a while are pruned by the nightly job."""
import datetime

from django.utils import timezone

from mobile_api.models import IdempotencyRecord, SignInCode
from mobile_api.tasks import prune_task

NOW = timezone.now()


def test_old_records_go_and_recent_ones_stay(make_user, settings):
    settings.MOBILE_IDEMPOTENCY_DAYS = 30
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
    assert prune_task.delay().get() == {"idempotency_answers": 1, "sign_in_codes": 1}
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(SignInCode.objects.values_list("pk", flat=True)) == [fresh_code.pk]
