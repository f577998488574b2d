"""Role checks for the staff API. Object-level checks live with each view."""
from rest_framework import permissions

from backend.core.roles import STAFF_ROLES, Role, has_role


class RolePermission(permissions.BasePermission):
    """Allows the roles named for reading (safe methods) and for writing."""

    read_roles: frozenset[str] = frozenset(STAFF_ROLES)
    write_roles: frozenset[str] = frozenset(STAFF_ROLES)

    def has_permission(self, request, view) -> bool:
        roles = self.read_roles if request.method in permissions.SAFE_METHODS else self.write_roles
        return has_role(request.user, *roles)


def roles_allowed(*, read: tuple[str, ...], write: tuple[str, ...] = ()) -> type:
    """A permission class for a view: who may read it and who may change through it."""
    return type(
        "RolesAllowed",
        (RolePermission,),
        {"read_roles": frozenset(read), "write_roles": frozenset(write)},
    )


class IsStaffRole(RolePermission):
    """The default for every staff endpoint: librarians, operators and coordinators.

    Volunteers use the mobile API only and get 403 here.
    """


IsLibrarian = roles_allowed(read=(Role.LIBRARIAN,), write=(Role.LIBRARIAN,))
