from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


def user_name(first_name: str, last_name: str, username: str) -> str:
    """How a user is named (str(user)): the full name as AbstractUser.get_full_name writes
    it, else the username; from the columns alone for reads that build no user object."""
    return f"{first_name} {last_name}".strip() or username


class User(AbstractUser):
    """A staff member or a volunteer. Roles are groups (see backend.core.roles)."""

    phone = PhoneNumberField(_("phone"), blank=True, null=True, unique=True)
    branch = models.ForeignKey(
        "branches.Branch",
        verbose_name=_("branch"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
    )
    language = models.CharField(
        _("interface language"),
        max_length=2,
        choices=[("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))],
        default="ru",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return user_name(self.first_name, self.last_name, self.username)


class SignInLink(models.Model):
    """A one-tap sign-in link for the volunteers' app, sent in the "your route is
    published" SMS. Only the token's hash is kept; it works once, for a few hours."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("useless after"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class SignInLock(models.Model):
    """Failed sign-ins for one key (a volunteer's phone, a staff username or a client
    address, known or not): after too many, a pause. See backend/accounts/lockout.py."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveSmallIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table the volunteers' app made first, kept as it is.
        db_table = "mobile_api_signinlock"
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")

    def __str__(self) -> str:
        return f"{self.key} {self.failures}"
