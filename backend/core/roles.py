"""The four roles of the service. Each is a Django group created by a migration."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    LIBRARIAN = "librarian", _("Librarian")
    OPERATOR = "operator", _("Operator")
    COORDINATOR = "coordinator", _("Coordinator")
    VOLUNTEER = "volunteer", _("Volunteer")


STAFF_ROLES = frozenset({Role.LIBRARIAN, Role.OPERATOR, Role.COORDINATOR})


def user_roles(user) -> frozenset[str]:
    """The role names of a user, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_kniga_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._kniga_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user_roles(user) & set(roles))


def sees_reading(user) -> bool:
    """What a reader reads (titles, formats such as Braille or audio, wishes, the reasons a
    copy is suggested) tells about their health: it is for those who choose the books,
    librarians and operators. Coordinators plan visits from counts and due dates."""
    return has_role(user, Role.LIBRARIAN, Role.OPERATOR)
