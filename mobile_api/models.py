"""What the volunteers' app needs kept on the server: idempotency keys and sign-in codes
(the sign-in lockouts are accounts' SignInLock). Everything lives in the database, so
several processes agree."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, written in the same transaction
    as its effect: the same key again answers the same, and changes nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(_("idempotency key"), max_length=100)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_one_per_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.method} {self.path} → {self.status}"


class SignInCode(models.Model):
    """A one-time sign-in code sent by SMS. Only its hash is kept."""

    # Empty for a phone that is no volunteer's: a code is made and kept all the same (never
    # sent), so asking costs the same and counts towards the same limit for every phone.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", null=True, blank=True)
    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"

