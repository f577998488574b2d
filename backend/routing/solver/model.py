"""Typed input and output of the route solver.

Units (the whole API uses the same ones):

* **time** - seconds, as plain numbers (``float`` or ``int``).  All absolute times (time windows,
  shifts, arrival times) are measured from the same origin chosen by the caller, e.g. seconds
  since midnight of the planning day (the Django side) or Solomon time units (the benchmark).
* **distance** - metres (or any one unit the caller likes; only used for the objective and for
  reporting).
* **load** - items (books), non-negative integers.

Matrices are square, indexed ``[from_location][to_location]`` by the position of a location in
``Problem.locations``.  An entry may be ``None`` or ``math.inf`` when the destination cannot be
reached from the origin with that profile.

Internally PyVRP works on integers: every time is multiplied by ``Problem.time_scale`` and every
distance by ``Problem.distance_scale``.  Travel and service times are rounded *up* and time-window
ends rounded *down*, so a plan that is feasible in the integer model is also feasible with the
real (float) values.  For real days in seconds the default scale 1 is plenty; the Solomon reader
uses 1000 so that Euclidean distances keep three decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

Matrix = Sequence[Sequence[float | None]]


@dataclass(frozen=True)
class Location:
    """A place: a branch (depot), a volunteer's home or a reader's address.

    ``x``/``y`` are optional coordinates (longitude/latitude, or planar coordinates for the
    benchmark).  They are informative only: travel always comes from the matrices.
    """

    name: str
    x: float | None = None
    y: float | None = None


@dataclass(frozen=True)
class Profile:
    """A way of travelling (``"foot"``, ``"bicycle"``, ``"car"``, ``"transit"``...).

    ``durations`` are travel times in seconds between all pairs of ``Problem.locations``.
    ``distances`` (metres) are optional; when missing the problem-wide ``Problem.distances`` is
    used, and when that is missing too the travel time itself is the "distance".
    """

    name: str
    durations: Matrix
    distances: Matrix | None = None


@dataclass(frozen=True)
class Stop:
    """A reader's address to visit.

    * ``service_time`` - seconds spent at the door.
    * ``earliest``/``latest`` - window for the *start* of service (arrival may be earlier; the
      volunteer then waits).
    * ``delivery`` - items carried out from the start location and left here;
      ``pickup`` - items collected here and carried to the end location.  The load on board is
      checked against the vehicle capacity at every point of the route.
    * ``languages`` - the reader needs a volunteer speaking one of these (empty: anyone).
    * ``vehicle_id`` - the stop is pinned to this vehicle (None: any vehicle).
    * ``required`` - required stops are served before optional ones when not all can be served.
    * ``preferred_vehicle`` - serving the stop with another vehicle costs
      ``Problem.reassign_cost`` (soft; used by re-planning to keep stops on their vehicle, or for
      a reader's usual volunteer).
    """

    id: str
    location: int
    service_time: float = 0.0
    earliest: float = 0.0
    latest: float = math.inf
    delivery: int = 0
    pickup: int = 0
    languages: frozenset[str] = frozenset()
    vehicle_id: str | None = None
    required: bool = True
    preferred_vehicle: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", frozenset(self.languages))
        if self.delivery < 0 or self.pickup < 0:
            raise ValueError(f"stop {self.id}: loads must be non-negative")
        if self.service_time < 0:
            raise ValueError(f"stop {self.id}: service_time must be non-negative")


@dataclass(frozen=True)
class Vehicle:
    """A volunteer (or staff member) with a bag.

    * ``start_location``/``end_location`` - indices into ``Problem.locations`` (branch or home).
    * ``shift_start``/``shift_end`` - leave the start no earlier than ``shift_start``; be back at
      the end location no later than ``shift_end`` (seconds).
    * ``capacity`` - items that fit in the bag at any moment.
    * ``max_stops`` - at most this many stops (None: no limit).
    * ``profile`` - name of a ``Profile`` in ``Problem.profiles``.
    * ``languages`` - languages the volunteer speaks.
    * ``fixed_cost`` - extra cost (objective units, i.e. seconds or metres, see
      ``Problem.objective``) paid when this vehicle is used at all; it only decides between plans
      with the same number of vehicles (e.g. prefer staff over volunteers).
    * ``initial_load`` - items already on board at the start that go to the end location (used by
      re-planning: books collected on stops already done).
    """

    id: str
    start_location: int
    end_location: int
    shift_start: float = 0.0
    shift_end: float = math.inf
    capacity: int = 10**9
    max_stops: int | None = None
    profile: str = "default"
    languages: frozenset[str] = frozenset()
    fixed_cost: float = 0.0
    initial_load: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", frozenset(self.languages))
        if self.capacity < 0 or self.initial_load < 0:
            raise ValueError(f"vehicle {self.id}: capacity/initial_load must be non-negative")
        if self.max_stops is not None and self.max_stops < 0:
            raise ValueError(f"vehicle {self.id}: max_stops must be non-negative")


@dataclass(frozen=True)
class Problem:
    """One planning day.

    ``objective`` is what "least travel" means after the two first objectives (most stops served,
    then fewest vehicles): ``"duration"`` (total travel time, seconds, the default for real days)
    or ``"distance"`` (total distance, the benchmark).  ``reassign_cost`` (objective units) is
    added for every stop served by a vehicle other than its ``preferred_vehicle``; like
    ``Vehicle.fixed_cost`` it only ranks plans that serve as many stops with as many vehicles.
    """

    locations: Sequence[Location]
    profiles: Sequence[Profile]
    stops: Sequence[Stop]
    vehicles: Sequence[Vehicle]
    distances: Matrix | None = None
    objective: str = "duration"
    time_scale: int = 1
    distance_scale: int = 1
    reassign_cost: float = 0.0

    def __post_init__(self) -> None:
        n = len(self.locations)
        names = [p.name for p in self.profiles]
        if len(set(names)) != len(names):
            raise ValueError("profile names must be unique")
        for p in self.profiles:
            _check_matrix(p.durations, n, f"profile {p.name} durations")
            if p.distances is not None:
                _check_matrix(p.distances, n, f"profile {p.name} distances")
        if self.distances is not None:
            _check_matrix(self.distances, n, "distances")
        if self.objective not in ("duration", "distance"):
            raise ValueError("objective must be 'duration' or 'distance'")
        if self.time_scale < 1 or self.distance_scale < 1:
            raise ValueError("scales must be positive integers")
        _unique([s.id for s in self.stops], "stop")
        _unique([v.id for v in self.vehicles], "vehicle")
        for s in self.stops:
            if not 0 <= s.location < n:
                raise ValueError(f"stop {s.id}: location {s.location} out of range")
        for v in self.vehicles:
            if v.profile not in names:
                raise ValueError(f"vehicle {v.id}: unknown profile {v.profile!r}")
            for loc in (v.start_location, v.end_location):
                if not 0 <= loc < n:
                    raise ValueError(f"vehicle {v.id}: location {loc} out of range")

    def profile(self, name: str) -> Profile:
        for p in self.profiles:
            if p.name == name:
                return p
        raise KeyError(name)

    def duration(self, vehicle: Vehicle, frm: int, to: int) -> float:
        """Travel time (seconds) for ``vehicle``; ``math.inf`` when unreachable."""
        return _entry(self.profile(vehicle.profile).durations, frm, to)

    def distance(self, vehicle: Vehicle, frm: int, to: int) -> float:
        """Distance used for the objective and reports; ``math.inf`` when unreachable."""
        prof = self.profile(vehicle.profile)
        matrix = prof.distances if prof.distances is not None else self.distances
        if matrix is None:
            matrix = prof.durations
        return _entry(matrix, frm, to)

    def stop(self, stop_id: str) -> Stop:
        for s in self.stops:
            if s.id == stop_id:
                return s
        raise KeyError(stop_id)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)


def _entry(matrix: Matrix, frm: int, to: int) -> float:
    value = matrix[frm][to]
    if value is None:
        return math.inf
    value = float(value)
    if math.isnan(value) or value < 0:
        return math.inf
    return value


def _check_matrix(matrix: Matrix, n: int, what: str) -> None:
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError(f"{what}: expected a {n}x{n} matrix")


def _unique(ids: list[str], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what} ids must be unique")


class Reason(StrEnum):
    """Why a stop is not in any route."""

    PINNED_VEHICLE_UNAVAILABLE = "pinned_vehicle_unavailable"
    """The stop is pinned to a vehicle that is not in the problem."""
    NO_LANGUAGE = "no_language"
    """No (allowed) vehicle speaks any of the stop's languages."""
    TOO_HEAVY = "too_heavy"
    """The stop's delivery or pickup exceeds the capacity (or max_stops is 0) of every vehicle
    that could otherwise serve it."""
    UNREACHABLE = "unreachable"
    """No candidate vehicle has a travel time to and from the stop (missing matrix entries)."""
    NO_VEHICLE_IN_WINDOW = "no_vehicle_in_window"
    """No candidate vehicle can go start -> stop -> end within its shift and the stop's window."""
    NOT_ROUTED = "not_routed"
    """The stop could be served alone, but not together with the others (the fleet is full)."""


@dataclass(frozen=True)
class Unassigned:
    stop_id: str
    reason: Reason


@dataclass(frozen=True)
class Visit:
    """One stop in a route.  Times in seconds, loads in items.

    ``arrival`` - arrival at the door; ``start`` - start of service (``>= arrival``, waiting for
    the window to open); ``departure`` - end of service; ``load`` - items on board when leaving.
    """

    stop_id: str
    arrival: float
    start: float
    departure: float
    load: int


@dataclass(frozen=True)
class Route:
    """The plan of one vehicle.

    ``departure`` - leaving the start location; ``end`` - arrival at the end location;
    ``distance`` (objective distance unit), ``duration`` (``end - departure``, seconds),
    ``travel_time`` (seconds spent moving); ``start_load`` - items on board when leaving the start
    (``max(load)`` over the route is always ``<= capacity``).
    """

    vehicle_id: str
    visits: tuple[Visit, ...]
    departure: float
    end: float
    distance: float
    duration: float
    travel_time: float
    start_load: int

    @property
    def stop_ids(self) -> list[str]:
        return [v.stop_id for v in self.visits]

    @property
    def max_load(self) -> int:
        return max([self.start_load, *(v.load for v in self.visits)])


@dataclass(frozen=True)
class Objective:
    """The objective figures, in their priority order.

    ``served_required``/``served`` (more is better), ``vehicles`` (fewer is better), then
    ``distance`` or ``duration`` (see ``Problem.objective``).  ``cost`` is the engine's integer
    cost (lower is better, only comparable between runs on the same problem).
    """

    served: int
    served_required: int
    unserved: int
    vehicles: int
    distance: float
    duration: float
    travel_time: float
    cost: int

    @classmethod
    def of(cls, stops: Sequence[Stop], routes: Sequence[Route], unserved: int, *,
           cost: int = 0, vehicles: int | None = None) -> Objective:
        """The figures of `routes` over `stops` (the problem's), `unserved` stops left out;
        `vehicles` when not every route counts as one (a re-plan's removed volunteers)."""
        served = {sid for r in routes for sid in r.stop_ids}
        return cls(
            served=len(served),
            served_required=sum(1 for s in stops if s.required and s.id in served),
            unserved=unserved,
            vehicles=len(routes) if vehicles is None else vehicles,
            distance=sum(r.distance for r in routes),
            duration=sum(r.duration for r in routes),
            travel_time=sum(r.travel_time for r in routes),
            cost=cost,
        )


@dataclass(frozen=True)
class Solution:
    """Routes (only vehicles that are used), unassigned stops with reasons, figures.

    ``feasible`` is True when every route was re-checked with the real (float) times and loads and
    satisfies every constraint.  ``seconds`` is wall-clock solve time, ``iterations`` the
    number of search iterations.
    """

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: Objective
    feasible: bool
    seconds: float = 0.0
    iterations: int = 0
    violations: tuple[str, ...] = field(default=())

    def route(self, vehicle_id: str) -> Route | None:
        for r in self.routes:
            if r.vehicle_id == vehicle_id:
                return r
        return None

    def assignment(self) -> dict[str, str]:
        """``{stop_id: vehicle_id}`` for every served stop."""
        return {sid: r.vehicle_id for r in self.routes for sid in r.stop_ids}

    def reason(self, stop_id: str) -> Reason | None:
        for u in self.unassigned:
            if u.stop_id == stop_id:
                return u.reason
        return None


@dataclass(frozen=True)
class Progress:
    """Passed to the ``progress`` callback each time the best plan improves."""

    elapsed: float
    served: int
    unserved: int
    vehicles: int
    distance: float
    duration: float
    cost: int
