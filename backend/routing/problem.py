"""From a day plan in the database to the solver's Problem, and back.

Times are seconds since midnight of the plan's day in the branch's time zone. Each volunteer
travels at their own speed, so each (transport, speed) pair is a solver profile.
"""
import datetime
from dataclasses import dataclass, field

from backend.routing import solver
from backend.routing.models import DayPlan, Stop, StopStatus, UnservedReason
from backend.routing.travel import travel_matrix
from backend.volunteers.models import Place, Volunteer
from backend.volunteers.selectors import volunteers_available


def seconds(t: datetime.time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass
class Built:
    plan: DayPlan
    problem: solver.Problem
    stops: dict[str, Stop]  # solver id -> Stop
    volunteers: dict[str, Volunteer]  # solver id -> Volunteer
    without_coordinates: list[Stop] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    origin: datetime.datetime | None = None

    def at(self, value: float) -> datetime.datetime:
        """A solver time as an aware datetime."""
        return self.origin + datetime.timedelta(seconds=value)


def plan_origin(plan: DayPlan) -> datetime.datetime:
    tz = plan.branch.zone
    return datetime.datetime.combine(plan.date, datetime.time(0), tzinfo=tz)


def build_problem(plan: DayPlan, *, exclude_volunteers: set[int] = frozenset(),
                  stops: list[Stop] | None = None, keep_route_volunteers: bool = False) -> Built:
    """The solver's view of the day. With `keep_route_volunteers`, volunteers who already
    have a route in the plan stay in the problem even if their shift changed since (their
    work today is real; re-planning removes the ones who dropped out)."""
    branch = plan.branch
    if stops is None:
        stops = list(plan.stops.exclude(status=StopStatus.CANCELLED)
                     .select_related("pinned_volunteer", "route"))
    available = [(v, windows) for v, windows in volunteers_available(branch, plan.date)
                 if v.pk not in exclude_volunteers]
    if keep_route_volunteers:
        have = {v.pk for v, _ in available}
        tz = branch.zone
        for route in plan.routes.select_related("volunteer", "volunteer__user"):
            if route.volunteer_id in have or route.volunteer_id in exclude_volunteers:
                continue
            start = route.departure.astimezone(tz).time() if route.departure else \
                datetime.time(8)
            end = route.end.astimezone(tz).time() if route.end else datetime.time(20)
            available.append((route.volunteer, [(start, max(end, datetime.time(20)))]))
    locations = [solver.Location("branch", branch.lon, branch.lat)]
    points: list[tuple[float, float] | None] = [
        (branch.lat, branch.lon) if branch.lat is not None else None
    ]

    def add_point(name: str, lat, lon) -> int:
        locations.append(solver.Location(name, lon, lat))
        points.append((lat, lon) if lat is not None and lon is not None else None)
        return len(locations) - 1

    built_stops: list[solver.Stop] = []
    by_id: dict[str, Stop] = {}
    without: list[Stop] = []
    for stop in stops:
        if stop.lat is None or stop.lon is None:
            without.append(stop)
            continue
        index = add_point(stop.household, stop.lat, stop.lon)
        sid = str(stop.pk)
        by_id[sid] = stop
        built_stops.append(solver.Stop(
            id=sid, location=index,
            service_time=stop.service_minutes * 60,
            earliest=seconds(stop.window_start), latest=seconds(stop.window_end),
            delivery=stop.load_out, pickup=stop.load_back,
            languages=frozenset(stop.languages or []),
            vehicle_id=str(stop.pinned_volunteer_id) if stop.pinned_volunteer_id else None,
            preferred_vehicle=str(stop.route.volunteer_id) if stop.route_id else None,
        ))

    vehicles: list[solver.Vehicle] = []
    by_vehicle: dict[str, Volunteer] = {}
    profiles: dict[tuple[str, float], str] = {}
    for volunteer, windows in available:
        start, end = max(windows, key=lambda w: seconds(w[1]) - seconds(w[0]))
        home = None
        if Place.HOME in (volunteer.starts_at, volunteer.ends_at):
            home = add_point(f"home-{volunteer.pk}", volunteer.home_lat, volunteer.home_lon)
        key = (volunteer.transport, round(volunteer.speed, 2))
        profile = profiles.setdefault(key, f"{key[0]}@{key[1]}")
        vid = str(volunteer.pk)
        by_vehicle[vid] = volunteer
        vehicles.append(solver.Vehicle(
            id=vid,
            start_location=home if volunteer.starts_at == Place.HOME else 0,
            end_location=home if volunteer.ends_at == Place.HOME else 0,
            shift_start=seconds(start), shift_end=seconds(end),
            capacity=volunteer.capacity, max_stops=volunteer.max_stops,
            profile=profile, languages=frozenset(volunteer.languages or []),
        ))

    warnings: list[str] = []
    solver_profiles = []
    distances = None
    for (transport, speed), name in profiles.items():
        matrix = travel_matrix(points, transport=transport, speed_kmh=speed)
        warnings.extend(w.message for w in matrix.warnings)
        solver_profiles.append(solver.Profile(name, matrix.durations, matrix.distances))
        distances = distances or matrix.distances
    if not solver_profiles:
        # No volunteer is free: keep a profile so the problem is well formed.
        matrix = travel_matrix(points, transport="foot", speed_kmh=4.5)
        solver_profiles.append(solver.Profile("none", matrix.durations, matrix.distances))
        distances = matrix.distances
    problem = solver.Problem(
        locations=locations, profiles=solver_profiles, stops=built_stops, vehicles=vehicles,
        distances=distances, objective="duration",
    )
    return Built(plan=plan, problem=problem, stops=by_id, volunteers=by_vehicle,
                 without_coordinates=without, warnings=sorted(set(warnings)),
                 origin=plan_origin(plan))


def unserved_reason(reason: solver.Reason | str, no_vehicles: bool) -> str:
    if no_vehicles:
        return UnservedReason.NO_VOLUNTEERS
    return str(reason)
