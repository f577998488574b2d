"""Staff sign-in, wherever it happens: the sign-in page, the admin and the staff API.

Every failed attempt is counted in the database (the same lockout the volunteers' app uses,
so several processes agree), once per username and once per client address:

- a username with STAFF_LOCKOUT_FAILURES failures within MOBILE_LOCKOUT_MINUTES is locked for
  MOBILE_LOCKOUT_MINUTES, known or not (the answer never tells which);
- an address with STAFF_LOCKOUT_IP_FAILURES failures is locked the same way, so one machine
  cannot try many usernames;
- a successful sign-in clears the username's count.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from backend.accounts.lockout import LockedOut, lock_check, lock_clear, lock_fail
from backend.core.admin_site import NO_ADMIN_ACCESS, can_use_admin
from backend.core.web import client_address


def _username_key(username: str) -> str:
    return (username or "").strip().casefold()[:50]


def check(request, username: str) -> None:
    """Raise LockedOut (`auth.locked`) while the username or the address is locked."""
    lock_check(_username_key(username), kind="staff")
    address = client_address(request)
    if address:
        lock_check(address, kind="staff-ip")


def failed(request, username: str) -> None:
    lock_fail(_username_key(username), kind="staff",
              limit=int(getattr(settings, "STAFF_LOCKOUT_FAILURES", 5)))
    address = client_address(request)
    if address:
        lock_fail(address, kind="staff-ip",
                  limit=int(getattr(settings, "STAFF_LOCKOUT_IP_FAILURES", 20)))


def succeeded(username: str) -> None:
    lock_clear(_username_key(username), kind="staff")


class _GuardedFormMixin:
    """Refuse while locked out; count the failures of an otherwise normal sign-in form."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        try:
            check(self.request, username)
        except LockedOut as locked:
            raise forms.ValidationError(locked.message, code="locked") from None
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                failed(self.request, username)
            raise
        succeeded(username)
        return cleaned


class StaffAuthenticationForm(_GuardedFormMixin, AuthenticationForm):
    """The sign-in page (/accounts/login/)."""


class StaffAdminAuthenticationForm(_GuardedFormMixin, AdminAuthenticationForm):
    """The admin's sign-in page (/admin/login/)."""

    def confirm_login_allowed(self, user) -> None:
        # The password was right: say plainly that this role has no admin (and count no
        # failure), instead of Django's "enter the correct username and password".
        AuthenticationForm.confirm_login_allowed(self, user)
        if not can_use_admin(user):
            raise forms.ValidationError(NO_ADMIN_ACCESS, code="no_admin_access")
