from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


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
        full = self.get_full_name()
        return full or self.username
