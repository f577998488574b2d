"""The demo district itself: branches, staff accounts, reader cards and family cards.

Data: fixtures/demo/{branches,staff,readers,families}.json (see fixtures/demo/README.md).
Reader and family rows have the shape of the staff API's input, are checked by the same
serializers and written by the same services, with the librarian as the one who did it.
"""
from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from backend.core.exceptions import ApplicationError
from backend.core.phones import to_e164
from backend.core.roles import Role
from backend.demo.base import (
    ORDER_BRANCHES,
    ORDER_FAMILIES,
    ORDER_READERS,
    ORDER_STAFF,
    DemoContext,
    DemoDataError,
    demo_step,
)

READER_KEYS = {
    "key", "branch", "last_name", "first_name", "patronymic", "birth_date", "category",
    "status", "language", "phones", "address", "access_notes", "preferences", "availability",
    "caregiver", "document", "consent",
}
MEMBER_KEYS = (READER_KEYS - {"branch", "address"}) | {"head"}
FAMILY_KEYS = {"key", "branch", "name", "loan_limit", "address", "access_notes", "members"}
STAFF_KEYS = {"username", "role", "first_name", "last_name", "branch", "language", "phone",
              "email"}
SUPERUSER = "superuser"

# Russian and Kazakh day abbreviations (they agree on ср and сб), Monday = 0.
WEEKDAYS = {
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
    "дс": 0, "сс": 1, "бс": 3, "жм": 4, "жс": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}
_WINDOW = re.compile(
    r"^\s*(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def _fail(where: str, message: str) -> DemoDataError:
    return DemoDataError(f"{where}: {message}")


def _raise(where: str, message: str):
    raise _fail(where, message)


def _check_keys(row: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(row) - allowed)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)}")


def parse_days(text: str, where: str) -> list[int]:
    """`пн`, `пн-пт`, `вт,чт`, `сб-вс` -> weekday numbers (0 = Monday)."""
    days: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise _fail(where, f"unknown day {part!r} (use пн вт ср чт пт сб вс)")
        start, end = WEEKDAYS[first], WEEKDAYS[last or first]
        if end < start:
            raise _fail(where, f"day range {part!r} runs backwards")
        days.extend(range(start, end + 1))
    return list(dict.fromkeys(days))


def parse_availability(items: list, where: str) -> list[dict[str, Any]]:
    """`"пн-пт 10:00-13:00"` (or the API's own `{weekday, start, end}`) -> API windows."""
    windows: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            windows.append(item)
            continue
        match = _WINDOW.match(str(item))
        if not match:
            raise _fail(where, f"availability {item!r} is not like \"пн-пт 10:00-13:00\"")
        for day in parse_days(match["days"], where):
            windows.append({"weekday": day, "start": match["start"], "end": match["end"]})
    return windows


def _branch(ctx: DemoContext, code: str | None, where: str):
    if code not in ctx.branches:
        raise _fail(where, f"unknown branch {code!r} (known: {', '.join(ctx.branches)})")
    return ctx.branches[code]


def _clean_errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.message_dict.items())
    return " ".join(map(str, exc.messages))


# Branches ----------------------------------------------------------------------------------


@demo_step("branches", order=ORDER_BRANCHES)
def load_branches(ctx: DemoContext) -> None:
    from backend.branches.models import Branch

    fields = {f.name for f in Branch._meta.concrete_fields} - {"id", "created_at", "updated_at"}
    for row in ctx.fixture("branches.json")["branches"]:
        where = f"branches.json, {row.get('code')}"
        _check_keys(row, fields, where)
        branch = Branch.objects.filter(code=row["code"]).first()
        if branch is not None:
            ctx.kept("branches")
        else:
            data = dict(row)
            if data.get("phone"):
                data["phone"] = to_e164(data["phone"]) or _raise(where, "invalid phone")
            branch = Branch(**data)
            try:
                branch.full_clean()
            except ValidationError as exc:
                raise _fail(where, _clean_errors(exc)) from exc
            branch.save()
            ctx.made("branches")
        ctx.branches[branch.code] = branch
    ctx.out(_summary(ctx, "branches"))


# Staff and volunteers ----------------------------------------------------------------------


@demo_step("staff", order=ORDER_STAFF)
def load_staff(ctx: DemoContext) -> None:
    """Staff, volunteers and the admin. Existing accounts are left as they are."""
    from backend.accounts.models import User

    roles = {role.value for role in Role} | {SUPERUSER}
    hashed = None
    for row in ctx.fixture("staff.json")["staff"]:
        where = f"staff.json, {row.get('username')}"
        _check_keys(row, STAFF_KEYS, where)
        role = row.get("role")
        if role not in roles:
            raise _fail(where, f"role must be one of {', '.join(sorted(roles))}")
        user = User.objects.filter(username=row["username"]).first()
        if user is not None:
            ctx.kept("users")
            ctx.users[user.username] = user
            continue
        phone = None
        if row.get("phone"):
            phone = to_e164(row["phone"]) or _raise(where, "invalid phone")
        user = User(
            username=row["username"],
            first_name=row.get("first_name", ""),
            last_name=row.get("last_name", ""),
            email=row.get("email", ""),
            language=row.get("language", "ru"),
            branch=_branch(ctx, row["branch"], where) if row.get("branch") else None,
            phone=phone,
            is_staff=role != Role.VOLUNTEER,
            is_superuser=role == SUPERUSER,
        )
        # One hash for every demo account: PBKDF2 takes a noticeable fraction of a second
        # per call and they all share the one published demo password anyway.
        hashed = hashed or make_password(ctx.password)
        user.password = hashed
        try:
            user.full_clean()
        except ValidationError as exc:
            raise _fail(where, _clean_errors(exc)) from exc
        user.save()
        if role != SUPERUSER:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        ctx.made("users")
        ctx.users[user.username] = user
    ctx.out(_summary(ctx, "users"))


# Reader cards ------------------------------------------------------------------------------


def reader_payload(row: dict[str, Any], *, branch_id: int, address: dict | None,
                   where: str) -> dict[str, Any]:
    """A fixture row -> the staff API's reader input (ReaderInputSerializer)."""
    payload: dict[str, Any] = {
        key: value for key, value in row.items()
        if key not in {"key", "head", "branch", "consent", "phones", "availability", "address"}
    }
    payload["branch"] = branch_id
    payload["phones"] = [
        {"number": phone} if isinstance(phone, str) else phone for phone in row.get("phones", [])
    ]
    if "availability" in row:
        payload["availability"] = parse_availability(row["availability"], where)
    if address is not None:
        payload["address"] = address
    elif "address" in row:
        payload["address"] = row["address"]
    if row.get("consent"):
        payload["consent"] = {"date": row["consent"]}
    if payload.get("status") == "closed":
        # Cards are closed by an update, as a librarian would; created first as usual.
        payload.pop("status")
    return payload


def load_reader(ctx: DemoContext, row: dict[str, Any], *, where: str, branch=None,
                address: dict | None = None):
    """Find the reader of this row, or create the card through the reader services."""
    from backend.readers.models import Reader, ReaderStatus
    from backend.readers.serializers import ReaderInputSerializer
    from backend.readers.services import reader_create, reader_update

    key = row.get("key")
    where = f"{where}, {key}"
    if not key:
        raise _fail(where, "every reader needs a \"key\"")
    if key in ctx.readers:
        raise _fail(where, "this key is used twice")
    branch = branch or _branch(ctx, row.get("branch"), where)
    existing = Reader.objects.filter(
        branch=branch, last_name=row.get("last_name", ""), first_name=row.get("first_name", ""),
        patronymic=row.get("patronymic", ""), birth_date=row.get("birth_date"),
    ).first()
    if existing is not None:
        ctx.kept("readers")
        ctx.readers[key] = existing
        return existing
    serializer = ReaderInputSerializer(
        data=reader_payload(row, branch_id=branch.pk, address=address, where=where)
    )
    if not serializer.is_valid():
        raise _fail(where, _serializer_errors(serializer.errors))
    try:
        reader = reader_create(data=serializer.to_flat(), by=ctx.actor)
        if row.get("status") == ReaderStatus.CLOSED:
            reader = reader_update(reader=reader, data={"status": ReaderStatus.CLOSED},
                                   by=ctx.actor)
    except ApplicationError as exc:
        raise _fail(where, str(exc.message)) from exc
    except ValidationError as exc:
        raise _fail(where, _clean_errors(exc)) from exc
    ctx.made("readers")
    ctx.readers[key] = reader
    return reader


def _serializer_errors(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        return "; ".join(
            _serializer_errors(value, _path(prefix, name)) for name, value in errors.items()
        )
    if isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        return f"{prefix}: {' '.join(errors)}"
    if isinstance(errors, list):
        return "; ".join(
            _serializer_errors(value, _path(prefix, i)) for i, value in enumerate(errors) if value
        )
    return f"{prefix}: {errors}"


def _path(prefix: str, name: str | int) -> str:
    """`phones[0].number`: where in a row a serializer error is."""
    if isinstance(name, int) or str(name).isdigit():
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else str(name)


@demo_step("readers", order=ORDER_READERS)
def load_readers(ctx: DemoContext) -> None:
    """Readers who live on their own (family members come with their family card)."""
    for row in ctx.fixture("readers.json")["readers"]:
        _check_keys(row, READER_KEYS, f"readers.json, {row.get('key')}")
        load_reader(ctx, row, where="readers.json")
    ctx.out(_summary(ctx, "readers"))


# Family cards ------------------------------------------------------------------------------


@demo_step("families", order=ORDER_FAMILIES)
def load_families(ctx: DemoContext) -> None:
    """Households: members get the family's branch and address, then one family card."""
    from backend.readers.models import FamilyCard
    from backend.readers.serializers import FamilyInputSerializer
    from backend.readers.services import family_card_create

    readers_before = (ctx.created["readers"], ctx.found["readers"])
    for row in ctx.fixture("families.json")["families"]:
        key = row.get("key")
        where = f"families.json, {key}"
        _check_keys(row, FAMILY_KEYS, where)
        if not key or key in ctx.families:
            raise _fail(where, "every family needs its own \"key\"")
        branch = _branch(ctx, row.get("branch"), where)
        address = row.get("address") or {}
        members = row.get("members") or []
        heads = [m for m in members if m.get("head")]
        if len(members) < 2 or len(heads) > 1:
            raise _fail(where, "a family needs two or more members and at most one head")
        readers = []
        for member in members:
            _check_keys(member, MEMBER_KEYS, f"{where}, {member.get('key')}")
            readers.append(load_reader(ctx, member, where=where, branch=branch, address=address))
        head = readers[members.index(heads[0])] if heads else None

        family = FamilyCard.objects.filter(
            branch=branch, name=row["name"], street=address.get("street", ""),
            house=address.get("house", ""),
        ).first()
        if family is not None:
            ctx.kept("family cards")
            ctx.families[key] = family
            continue
        payload = {
            "name": row["name"], "branch": branch.pk, "address": address,
            "members": [r.pk for r in readers], "head": head.pk if head else None,
        }
        for name in ("loan_limit", "access_notes"):
            if name in row:
                payload[name] = row[name]
        serializer = FamilyInputSerializer(data=payload)
        if not serializer.is_valid():
            raise _fail(where, _serializer_errors(serializer.errors))
        try:
            family = family_card_create(data=serializer.to_flat(), by=ctx.actor)
        except ApplicationError as exc:
            raise _fail(where, str(exc.message)) from exc
        ctx.made("family cards")
        ctx.families[key] = family
    ctx.out(_summary(ctx, "family cards"))
    ctx.out(
        f"  {'  members':<13} {ctx.created['readers'] - readers_before[0]:>4} created, "
        f"{ctx.found['readers'] - readers_before[1]:>4} already there"
    )


def _summary(ctx: DemoContext, label: str) -> str:
    return f"  {label:<13} {ctx.created[label]:>4} created, {ctx.found[label]:>4} already there"
