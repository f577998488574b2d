"""Server-rendered pages: who may open which page, and where each role lands."""
from django.contrib.auth.mixins import AccessMixin
from django.shortcuts import redirect

from backend.core.roles import Role, has_role


class RoleRequiredMixin(AccessMixin):
    """A page for the roles named in `roles` (superusers always). Not signed in: the login
    page; signed in with another role: 403."""

    roles: tuple[str, ...] = ()
    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, *self.roles):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


def home(request):
    """Each role starts on the page of its work."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if has_role(user, Role.OPERATOR) and not user.is_superuser:
        return redirect("/desk/")
    if has_role(user, Role.COORDINATOR) and not user.is_superuser:
        return redirect("/plan/")
    if user.is_staff:
        return redirect("/admin/")
    return redirect("/api/docs/")


def nav_links(request) -> dict:
    """Template context: the pages the signed-in user may open."""
    from django.utils.translation import gettext as _

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = []
    if has_role(user, Role.OPERATOR, Role.LIBRARIAN):
        links.append(("/desk/", _("Phone desk")))
    if has_role(user, Role.COORDINATOR, Role.LIBRARIAN):
        links.append(("/plan/", _("Day plan")))
    if has_role(user, Role.LIBRARIAN, Role.COORDINATOR):
        links.append(("/reports/", _("Reports")))
    if user.is_staff:
        links.append(("/admin/", _("Admin")))
    return {"nav_links": links}


def client_address(request) -> str:
    """The address a request came from: REMOTE_ADDR. Behind nginx the server sets it from
    the proxy (docs/deploy.md), never from a header the client controls."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "") or ""
