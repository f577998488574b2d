"""Demo volunteer profiles for the six demo volunteer accounts (fixtures/demo/staff.json).

Two walk in Бишкуль, one cycles and one drives in Соколовка, one takes the bus and one
drives from home in Якорь. Each gets weekday shifts (one also works on Saturdays), and one
has an absence in the coming weeks. Written through backend.volunteers.services; an account
that already has a profile is left as it is, so a second run creates nothing.
"""
from __future__ import annotations

import datetime
from typing import Any

from backend.core.exceptions import ApplicationError
from backend.demo.base import DemoContext, DemoDataError, demo_step

WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
MORNING = (datetime.time(9), datetime.time(13))
AFTERNOON = (datetime.time(14), datetime.time(18))

PROFILES: dict[str, dict[str, Any]] = {
    "volunteer1": {"transport": "foot", "capacity": 10, "max_stops": 8,
                   "languages": ["kk", "ru"], "shifts": [(WEEKDAYS, MORNING)],
                   "note": "Бишкуль, центр"},
    "volunteer2": {"transport": "foot", "capacity": 8, "max_stops": 10, "languages": ["ru"],
                   "shifts": [(WEEKDAYS, AFTERNOON)], "absence": (7, 11, "Отпуск")},
    "volunteer3": {"transport": "car", "capacity": 25, "max_stops": 15,
                   "languages": ["kk", "ru"],
                   "shifts": [(WEEKDAYS, MORNING),
                              ("FREQ=WEEKLY;BYDAY=SA", (datetime.time(10), datetime.time(14)))],
                   "note": "Своя машина, возит и в соседние сёла"},
    "volunteer4": {"transport": "bicycle", "capacity": 12, "max_stops": 12,
                   "languages": ["ru", "kk"], "shifts": [(WEEKDAYS, AFTERNOON)]},
    "volunteer5": {"transport": "public_transport", "capacity": 15, "max_stops": 10,
                   "languages": ["kk"], "shifts": [(WEEKDAYS, MORNING)]},
    "volunteer6": {"transport": "car", "capacity": 20, "max_stops": 14,
                   "languages": ["ru", "kk"], "shifts": [(WEEKDAYS, AFTERNOON)],
                   "starts_at": "home", "ends_at": "home",
                   "home": ("с. Якорь, ул. Школьная, 4", 0.0036, 0.0067)},
}


@demo_step("volunteers", order=600)
def load_volunteers(ctx: DemoContext) -> None:
    from backend.volunteers.models import Volunteer
    from backend.volunteers.services import absence_add, shift_add, volunteer_create

    by = ctx.users.get("coordinator")
    for username, spec in PROFILES.items():
        where = f"volunteers demo, {username}"
        user = ctx.users.get(username)
        if user is None:
            raise DemoDataError(f"{where}: no such demo account (staff.json).")
        if Volunteer.objects.filter(user=user).exists():
            ctx.kept("volunteers")
            continue
        branch = user.branch
        data: dict[str, Any] = {
            "user": user, "branch": branch, "transport": spec["transport"],
            "capacity": spec["capacity"], "max_stops": spec["max_stops"],
            "languages": spec["languages"], "note": spec.get("note", ""),
            "starts_at": spec.get("starts_at", "branch"), "ends_at": spec.get("ends_at", "branch"),
        }
        if "home" in spec:
            if branch is None or branch.lat is None or branch.lon is None:
                raise DemoDataError(f"{where}: the branch has no coordinates for a home nearby.")
            address, dlat, dlon = spec["home"]
            data.update(home_address=address, home_lat=round(branch.lat + dlat, 4),
                        home_lon=round(branch.lon + dlon, 4))
        try:
            volunteer = volunteer_create(data=data, by=by)
            for rule, (start, end) in spec["shifts"]:
                shift_add(volunteer=volunteer, rrule=rule, starts_on=ctx.today, ends_on=None,
                          start_time=start, end_time=end, by=by)
            if "absence" in spec:
                first, last, reason = spec["absence"]
                absence_add(volunteer=volunteer,
                            starts_on=ctx.today + datetime.timedelta(days=first),
                            ends_on=ctx.today + datetime.timedelta(days=last),
                            reason=reason, by=by)
        except ApplicationError as exc:
            raise DemoDataError(f"{where}: {exc.message}") from exc
        ctx.made("volunteers")
    ctx.out(f"  {'volunteers':<13} {ctx.created['volunteers']:>4} created, "
            f"{ctx.found['volunteers']:>4} already there")
