"""Times in the branch's zone, whatever the server's or the browser's zone.

`BranchTimeZoneMiddleware` makes the signed-in person's branch zone the current one for the
request, so templates (`|date`, `|time`), forms, the APIs' date-times and the PDFs they
render say the library's time: the staff member's branch, else the volunteer's home
branch, else the site's zone (settings.TIME_ZONE). The mobile API signs volunteers in with
a token inside the view, after the middleware, so its base view calls `activate_branch_zone`
itself once it knows who asks.

The zone's name is kept in the cache by branch, so a page costs no query for it; saving a
branch forgets it.
"""
from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from backend.branches.models import Branch, branch_zone

CACHE_SECONDS = 600


def _key(branch_id: int) -> str:
    return f"branch-zone:{branch_id}"


def zone_of_branch(branch_id: int | None) -> zoneinfo.ZoneInfo:
    """The zone of the branch `branch_id` (the site's when None or gone)."""
    if branch_id is None:
        return branch_zone()
    name = cache.get(_key(branch_id))
    if name is None:
        name = Branch.objects.filter(pk=branch_id).values_list("time_zone", flat=True).first()
        name = name or ""
        cache.set(_key(branch_id), name, CACHE_SECONDS)
    try:
        return zoneinfo.ZoneInfo(name) if name else branch_zone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return branch_zone()


def forget_branch_zone(sender, instance: Branch, **kwargs) -> None:
    """Connected to Branch's post_save and post_delete (see apps.py)."""
    cache.delete(_key(instance.pk))


def user_branch_id(user) -> int | None:
    """The branch whose clock a signed-in person reads: their own, else (a volunteer) their
    home branch."""
    if user is None or not user.is_authenticated:
        return None
    if getattr(user, "branch_id", None):
        return user.branch_id
    try:
        volunteer = user.volunteer
    except (ObjectDoesNotExist, AttributeError):  # no volunteer profile
        return None
    return volunteer.branch_id


def _loaded(instance, name: str):
    """The related row `name` of `instance` if it has been read already, else None."""
    state = getattr(instance, "_state", None)
    return state.fields_cache.get(name) if state is not None else None


def user_zone(user) -> zoneinfo.ZoneInfo:
    """The zone of `user_branch_id(user)`: from its row when it was read with the user (the
    app's token authentication reads the volunteer's home branch), else `zone_of_branch`."""
    branch_id = user_branch_id(user)
    branch = _loaded(user, "branch") or _loaded(_loaded(user, "volunteer"), "branch")
    if branch is not None and branch_id is not None and branch.pk == branch_id:
        return branch.zone
    return zone_of_branch(branch_id)


def activate_branch_zone(user) -> zoneinfo.ZoneInfo:
    """Make `user`'s branch zone the current one (until the request ends) and return it."""
    zone = user_zone(user)
    timezone.activate(zone)
    return zone


class BranchTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activate_branch_zone(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
