"""Every write to volunteer profiles, their shifts and their absences.

The staff API, the admin, the demo and (later) the volunteers' own mobile API call these
functions; each is atomic, checks the rules below and runs `full_clean()` before saving.

Rules worth knowing:

- A profile belongs to a user in the `volunteer` group: either a new account made here
  (no password given -> an unusable one; the volunteer signs in later with a code) or an
  existing volunteer account that has no profile yet.
- Phones are unique across all users and stored in E.164.
- Starting or ending the day at home needs the home coordinates
  (`volunteer.home_needs_coordinates`), because the route planner starts from a point.
- A shift's recurrence is checked exactly as a standing plan's (the same parser, the same
  limits) and refused with `shift.invalid_rrule` naming the `rrule` field.
- Absences of one volunteer do not overlap (`absence.overlap`).
"""
from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.phones import to_e164
from backend.core.recurrence import rrule_check
from backend.core.roles import Role
from backend.readers.models import Language
from backend.volunteers.models import Absence, Place, Shift, Volunteer

if TYPE_CHECKING:
    from backend.accounts.models import User

PROFILE_FIELDS = (
    "branch", "transport", "speed_kmh", "capacity", "max_stops", "starts_at", "ends_at",
    "home_address", "home_lat", "home_lon", "languages", "active", "note",
)
USER_FIELDS = ("first_name", "last_name", "phone")
NEW_USER_FIELDS = ("username", "first_name", "last_name", "phone", "password")
LANGUAGES = tuple(code for code, _label in Language.choices)


def _field_error(code: str, field: str, message: str, *, conflict: bool = False):
    cls = ConflictError if conflict else ApplicationError
    return cls(code, f"{field}: {message}", fields={field: [message]})


def _is_volunteer(user) -> bool:
    return user.groups.filter(name=Role.VOLUNTEER).exists()


def _clean_phone(value: Any, *, user=None) -> str | None:
    """E.164 or None; refuses a number another user already has (`volunteer.phone_taken`)."""
    if value in (None, ""):
        return None
    phone = to_e164(str(value))
    if phone is None:
        raise _field_error("volunteer.invalid_phone", "phone",
                           _("Enter a valid phone number, e.g. 8 701 123 45 67."))
    User = get_user_model()
    others = User.objects.filter(phone=phone)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise _field_error("volunteer.phone_taken", "phone",
                           _("Another account already has this phone number."),
                           conflict=True)
    return phone


def _clean_languages(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        value = [value]
    wanted = list(dict.fromkeys(str(code).strip().lower() for code in value))
    unknown = [code for code in wanted if code not in LANGUAGES]
    if unknown:
        raise _field_error(
            "volunteer.invalid_languages", "languages",
            _("Unknown language code(s): %(codes)s. Use %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(LANGUAGES)},
        )
    return wanted


def _check_home(volunteer: Volunteer) -> None:
    """Both home coordinates or neither; and both when the day starts or ends at home."""
    if (volunteer.home_lat is None) != (volunteer.home_lon is None):
        message = _("Give both home latitude and longitude, or neither.")
        missing = "home_lat" if volunteer.home_lat is None else "home_lon"
        raise ApplicationError("volunteer.home_coordinates_pair", message,
                               fields={missing: [message]})
    at_home = [name for name in ("starts_at", "ends_at") if getattr(volunteer, name) == Place.HOME]
    if at_home and volunteer.home_lat is None:
        message = _("Starting or ending at home needs home coordinates.")
        fields = {name: [message] for name in at_home}
        fields.update({"home_lat": [message], "home_lon": [message]})
        raise ApplicationError("volunteer.home_needs_coordinates", message, fields=fields)


def _validation_to_application(exc: ValidationError, code: str = "validation_error"):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {}
    message = "; ".join(f"{name}: {', '.join(messages)}" if name != "__all__"
                        else ", ".join(messages) for name, messages in fields.items()) \
        or "; ".join(exc.messages)
    return ApplicationError(code, message, fields=fields)


def _full_clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise _validation_to_application(exc) from exc


def _apply_profile(volunteer: Volunteer, data: dict[str, Any]) -> None:
    for name in PROFILE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "languages":
            value = _clean_languages(value)
        elif name in ("home_address", "note") and value is None:
            value = ""
        elif name in ("branch",) and not hasattr(value, "pk") and value is not None:
            from backend.branches.models import Branch

            found = Branch.objects.filter(pk=value).first()
            if found is None:
                raise _field_error("volunteer.branch_not_found", "branch", _("No such branch."))
            value = found
        setattr(volunteer, name, value)


def _new_user(data: dict[str, Any], branch):
    """A new account in the volunteer group (`username`, names, `phone`, optional password)."""
    User = get_user_model()
    username = (data.get("username") or "").strip()
    if not username:
        raise _field_error("volunteer.username_required", "username",
                           _("Give a username for the new account, or choose an existing "
                             "volunteer account."))
    if User.objects.filter(username__iexact=username).exists():
        raise _field_error("volunteer.username_taken", "username",
                           _("This username is taken."), conflict=True)
    user = User(
        username=username,
        first_name=(data.get("first_name") or "").strip(),
        last_name=(data.get("last_name") or "").strip(),
        branch=branch,
        is_staff=False,
    )
    user.phone = _clean_phone(data.get("phone"))
    if data.get("password"):
        user.set_password(data["password"])
    else:
        user.set_unusable_password()
    _full_clean(user)
    user.save()
    group, _created = Group.objects.get_or_create(name=Role.VOLUNTEER)
    user.groups.add(group)
    return user


def _existing_user(value: Any):
    User = get_user_model()
    user = value if isinstance(value, User) else User.objects.filter(pk=value).first()
    if user is None:
        raise _field_error("volunteer.user_not_found", "user", _("No such user."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if not _is_volunteer(user):
        raise _field_error("volunteer.user_not_volunteer", "user",
                           _("%(user)s is not in the volunteer group.") % {"user": user})
    if Volunteer.objects.filter(user=user).exists():
        raise _field_error("volunteer.exists", "user",
                           _("%(user)s already has a volunteer profile.") % {"user": user},
                           conflict=True)
    return user


@transaction.atomic
def volunteer_create(*, data: dict[str, Any], by: User | None = None) -> Volunteer:
    """A volunteer profile: for `data["user"]` (an existing account in the volunteer group,
    without a profile), or for a new account made from `username`, `first_name`,
    `last_name`, `phone` and an optional `password` (none -> an unusable password).

    The branch defaults to the existing account's branch. `phone`, `first_name` and
    `last_name` given with an existing account update that account."""
    branch = data.get("branch")
    if data.get("user") is not None:
        user = _existing_user(data["user"])
        if branch is None:
            branch = user.branch
        changed = False
        for name in USER_FIELDS:
            if name in data and data[name] is not None:
                value = _clean_phone(data[name], user=user) if name == "phone" \
                    else str(data[name]).strip()
                if getattr(user, name) != value:
                    setattr(user, name, value)
                    changed = True
        if changed:
            _full_clean(user)
            user.save()
    else:
        if branch is None:
            raise _field_error("volunteer.branch_required", "branch", _("Choose a branch."))
        user = _new_user(data, branch if hasattr(branch, "pk") else None)
    if branch is None:
        raise _field_error("volunteer.branch_required", "branch", _("Choose a branch."))
    volunteer = Volunteer(user=user)
    _apply_profile(volunteer, {**data, "branch": branch})
    if user.branch_id is None:
        user.branch = volunteer.branch
        user.save(update_fields=["branch"])
    _check_home(volunteer)
    _full_clean(volunteer)
    volunteer.save()
    return volunteer


@transaction.atomic
def volunteer_update(*, volunteer: Volunteer, data: dict[str, Any],
                     by: User | None = None) -> Volunteer:
    """Change a profile; only the fields given change. `first_name`, `last_name` and `phone`
    change the volunteer's account. The account itself cannot be swapped
    (`volunteer.user_fixed`)."""
    volunteer = Volunteer.objects.select_for_update(of=("self",)).select_related("user") \
        .get(pk=volunteer.pk)
    if "user" in data and data["user"] is not None:
        user_id = getattr(data["user"], "pk", data["user"])
        if user_id != volunteer.user_id:
            raise _field_error("volunteer.user_fixed", "user",
                               _("A profile stays with its account."))
    user = volunteer.user
    changed = []
    for name in USER_FIELDS:
        if name not in data:
            continue
        value = _clean_phone(data[name], user=user) if name == "phone" \
            else str(data[name] or "").strip()
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        _full_clean(user)
        user.save(update_fields=changed)
    _apply_profile(volunteer, data)
    _check_home(volunteer)
    _full_clean(volunteer)
    volunteer.save()
    return volunteer


# Shifts ----------------------------------------------------------------------------------------


def shift_check_rrule(*, rrule: str, starts_on: date, ends_on: date | None = None) -> str:
    """The RRULE in normal form, checked exactly as a standing plan's
    (backend.core.recurrence.rrule_check), or `shift.invalid_rrule` naming the `rrule`
    field."""
    return rrule_check(rrule=rrule, starts_on=starts_on, ends_on=ends_on,
                       code="shift.invalid_rrule")


def _check_shift(shift: Shift, *, check_rule: bool) -> None:
    if shift.start_time is not None and shift.end_time is not None \
            and shift.start_time >= shift.end_time:
        raise _field_error("shift.bad_times", "end_time",
                           _("The shift must end after it starts (shifts do not run past "
                             "midnight)."))
    if shift.ends_on is not None and shift.ends_on < shift.starts_on:
        raise _field_error("shift.bad_dates", "ends_on", _("Must be on or after the start date."))
    if check_rule:
        shift.rrule = shift_check_rrule(rrule=shift.rrule, starts_on=shift.starts_on,
                                        ends_on=shift.ends_on)


def _lock(volunteer: Volunteer) -> Volunteer:
    # Shifts and absences of one volunteer change one at a time: the overlap checks hold.
    return Volunteer.objects.select_for_update().get(pk=volunteer.pk)


@transaction.atomic
def shift_add(
    *,
    volunteer: Volunteer,
    rrule: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    start_time: time,
    end_time: time,
    by: User | None = None,
) -> Shift:
    """A recurring shift: an RRULE (without DTSTART; `starts_on` is its start, today when not
    given) and the hours. Shifts may overlap; the volunteer's windows merge them."""
    volunteer = _lock(volunteer)
    shift = Shift(volunteer=volunteer, rrule=rrule, starts_on=starts_on or timezone.localdate(),
                  ends_on=ends_on, start_time=start_time, end_time=end_time)
    _check_shift(shift, check_rule=True)
    _full_clean(shift)
    shift.save()
    return shift


SHIFT_FIELDS = ("rrule", "starts_on", "ends_on", "start_time", "end_time")


@transaction.atomic
def shift_update(*, shift: Shift, data: dict[str, Any], by: User | None = None) -> Shift:
    """Change a shift; only the fields given change. The rule is checked again when the
    rule or its dates change."""
    _lock(shift.volunteer)
    shift = Shift.objects.get(pk=shift.pk)
    before = {name: getattr(shift, name) for name in SHIFT_FIELDS}
    for name in SHIFT_FIELDS:
        if name in data:
            setattr(shift, name, data[name])
    if shift.starts_on is None:
        raise _field_error("shift.bad_dates", "starts_on", _("Give the first day."))
    rule_changed = any(before[n] != getattr(shift, n) for n in ("rrule", "starts_on", "ends_on"))
    _check_shift(shift, check_rule=rule_changed)
    _full_clean(shift)
    shift.save()
    return shift


@transaction.atomic
def shift_remove(*, shift: Shift, by: User | None = None) -> None:
    """Drop a shift. Routes already planned on it are not touched here."""
    _lock(shift.volunteer)
    Shift.objects.filter(pk=shift.pk).delete()


# Absences --------------------------------------------------------------------------------------


def _check_absence(absence: Absence) -> None:
    if absence.starts_on is None or absence.ends_on is None:
        field = "starts_on" if absence.starts_on is None else "ends_on"
        raise _field_error("absence.bad_dates", field, _("Give the first and the last day."))
    if absence.ends_on < absence.starts_on:
        raise _field_error("absence.bad_dates", "ends_on",
                           _("Must be on or after the start date."))
    clash = Absence.objects.filter(volunteer_id=absence.volunteer_id,
                                   starts_on__lte=absence.ends_on, ends_on__gte=absence.starts_on)
    if absence.pk:
        clash = clash.exclude(pk=absence.pk)
    clash = clash.first()
    if clash is not None:
        message = _("Overlaps another absence.")
        raise ConflictError(
            "absence.overlap",
            _("This absence overlaps the absence from %(start)s to %(end)s.")
            % {"start": clash.starts_on.isoformat(), "end": clash.ends_on.isoformat()},
            fields={"starts_on": [message], "ends_on": [message]},
        )


@transaction.atomic
def absence_add(
    *, volunteer: Volunteer, starts_on: date, ends_on: date, reason: str = "",
        by: User | None = None,
) -> Absence:
    """Whole days off (illness, a trip), both days included; no overlap with another
    absence of the same volunteer."""
    volunteer = _lock(volunteer)
    absence = Absence(volunteer=volunteer, starts_on=starts_on, ends_on=ends_on,
                      reason=reason or "")
    _check_absence(absence)
    _full_clean(absence)
    absence.save()
    return absence


ABSENCE_FIELDS = ("starts_on", "ends_on", "reason")


@transaction.atomic
def absence_update(*, absence: Absence, data: dict[str, Any], by: User | None = None) -> Absence:
    _lock(absence.volunteer)
    absence = Absence.objects.get(pk=absence.pk)
    for name in ABSENCE_FIELDS:
        if name in data:
            setattr(absence, name, data[name] if name != "reason" else (data[name] or ""))
    _check_absence(absence)
    _full_clean(absence)
    absence.save()
    return absence


@transaction.atomic
def absence_remove(*, absence: Absence, by: User | None = None) -> None:
    """End an absence's record (the volunteer is back, or it was entered by mistake)."""
    _lock(absence.volunteer)
    Absence.objects.filter(pk=absence.pk).delete()
