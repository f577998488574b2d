"""Server-rendered pages: who may open which page, and where each role lands."""
from django.conf import settings
from django.contrib.auth.mixins import AccessMixin
from django.shortcuts import redirect

from backend.core.admin_site import can_use_admin
from backend.core.roles import STAFF_ROLES, Role, has_role, user_roles


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


def own_page(user) -> tuple[str, str]:
    """The page where `user` works, and its name: where they land (`home`) and where the
    403 and 404 pages send them back to. Not signed in: the sign-in page."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    if user is None or not user.is_authenticated:
        return reverse("login"), _("Sign in")
    if has_role(user, Role.OPERATOR) and not user.is_superuser:
        return "/desk/", _("Phone desk")
    if has_role(user, Role.COORDINATOR) and not user.is_superuser:
        return "/plan/", _("Day plan")
    if not user.is_superuser and Role.VOLUNTEER in user_roles(user) \
            and not user_roles(user) & STAFF_ROLES:
        return "/app/", _("Volunteer app")  # a volunteer works in the app, not on the API docs
    if can_use_admin(user):
        return "/admin/", _("Admin")  # its header links the pick list and the other pages
    if has_role(user, Role.LIBRARIAN):
        return "/picking/", _("Pick list")
    return "/api/docs/", _("API documentation")


def home(request):
    """Each role starts on the page of its work."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(own_page(request.user)[0])


def nav_links(request) -> dict:
    """Template context: the pages the signed-in user may open."""
    from django.utils.translation import gettext as _

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = []
    if has_role(user, Role.OPERATOR, Role.LIBRARIAN):
        links.append(("/desk/", _("Phone desk")))
    if has_role(user, Role.LIBRARIAN):
        links.append(("/picking/", _("Pick list")))
    if has_role(user, Role.COORDINATOR, Role.LIBRARIAN):
        links.append(("/plan/", _("Day plan")))
    if has_role(user, Role.LIBRARIAN, Role.COORDINATOR):
        links.append(("/reports/", _("Reports")))
    if can_use_admin(user):
        links.append(("/admin/", _("Admin")))
    return {"nav_links": links}


def client_address(request) -> str:
    """The address a request came from. Directly: REMOTE_ADDR. Behind NUM_PROXIES proxies
    (nginx: 1), the address the nearest of them saw, from X-Forwarded-For, counted from
    the right so a client cannot choose it by sending the header itself. The same rule as
    the API's throttles (DRF's NUM_PROXIES)."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]
