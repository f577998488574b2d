"""Translation of a ``Problem`` into PyVRP and the search strategy.

How each constraint is modelled in PyVRP (0.14):

* **Profiles** - every vehicle uses the duration matrix of its travel profile.  PyVRP has no
  vehicle/client compatibility constraint, so each (travel profile, set of forbidden stops)
  pair becomes its own PyVRP profile in which every edge into or out of a forbidden stop has a
  prohibitive duration (longer than the whole horizon): a route using it is always late, hence
  infeasible.  A language mismatch and a pin to another vehicle make a stop forbidden.  An
  extra unused reference profile (element-wise minimum, nothing forbidden) is put first so that
  PyVRP's granular neighbourhoods are computed from real proximities.
* **Pickups and deliveries** - PyVRP's simultaneous delivery/pickup load (load dimension 0): the
  bag holds all deliveries at the start and collects pickups along the way; PyVRP checks the
  load at every point.
* **max_stops** - a second load dimension where every stop delivers 1 and the capacity is
  ``max_stops`` (only added when some vehicle has a limit).
* **Objective order** - every stop is optional with a prize larger than the cost of any set of
  routes (required stops have a prize larger than all optional prizes together); every vehicle
  has a fixed cost larger than any possible total travel.  So PyVRP's single integer cost
  orders plans by (required served, served, vehicles, travel).
* **Fewer vehicles** - after a first search, the solver repeatedly removes the smallest route and
  searches for a plan with one vehicle less that still serves every stop served so far (not
  below the capacity bound: the fewest vehicles whose capacities hold the total load), then
  polishes the best plan found with the fleet capped at the number of routes it uses.  With
  ``EJECTION`` on (off by default, see there) and every stop served, an attempt also runs an
  ejection-pool route elimination (``ejection.py``): after PyVRP failed on its share of the
  attempt, from PyVRP's plan with the fewest stops left out, for the rest of the attempt; with
  ``EP_FIRST`` before PyVRP, which then goes on from the plan the pool left shortest.
* **Overbooked days** - when the room or working time of the fleet, or of the vehicles that
  alone may serve some stops (e.g. the Russian speakers), shows that not every stop can be
  served, one search with optional stops runs for the whole limit, its penalties starting at a
  stop's prize (see ``prize_penalty_params``).
* **Short searches** - PyVRP's late acceptance compares a candidate with the plan of
  ``HISTORY`` iterations before; with PyVRP's 300, a district day's 3 s (about 1,000
  iterations over all phases) mostly ran before the history filled, when every candidate is
  accepted.  The searches with optional stops use 50; the all-required ones keep 300 (50 made
  Solomon's long routes, R207, about 1% longer).  And in the searches with optional stops the
  penalties are updated every as many candidates as there are stops (50 to 500; PyVRP: 500),
  so that on a small day they come down from the prize within a short limit too.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pyvrp
from pyvrp import (
    Client,
    Depot,
    IteratedLocalSearchCallbacks,
    IteratedLocalSearchParams,
    PenaltyParams,
    ProblemData,
    SolveParams,
    VehicleType,
)
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from .ejection import Eliminator, Model
from .ints import IntModel
from .model import Problem, Stop, Vehicle
from .precheck import compatible

Plan = list[tuple[int, list[int]]]
"""Engine-internal plan: ``(vehicle type index, [client indices])`` per route."""


@dataclass
class Built:
    """A ``Problem`` translated to PyVRP."""

    data: ProblemData
    clients: list[Stop]
    types: list[list[Vehicle]]
    prize: int
    prize_required: int
    fixed: int
    horizon: int
    allowed: list[frozenset[int]]
    """Per client, the vehicle types that may serve it (language, pin)."""


def build(problem: Problem, im: IntModel, stop_ids: list[str]) -> Built:
    stops = [problem.stop(sid) for sid in stop_ids]
    vehicles = list(problem.vehicles)
    depot_locs = sorted({v.start_location for v in vehicles} | {v.end_location for v in vehicles})
    depot_index = {loc: i for i, loc in enumerate(depot_locs)}
    nd = len(depot_locs)
    src = np.array(depot_locs + [s.location for s in stops], dtype=np.int64)
    n_loc = len(src)

    def forbidden(v: Vehicle) -> frozenset[int]:
        return frozenset(c for c, s in enumerate(stops) if not compatible(s, v))

    unit = im.ds if problem.objective == "distance" else im.ts
    reassign = max(0, round(problem.reassign_cost * unit))

    def penalised(v: Vehicle) -> frozenset[int]:
        if not reassign:
            return frozenset()
        return frozenset(
            c
            for c, s in enumerate(stops)
            if s.preferred_vehicle is not None and s.preferred_vehicle != v.id
        )

    def variant(v: Vehicle) -> tuple[str, frozenset[int], frozenset[int]]:
        return (v.profile, forbidden(v), penalised(v))

    variants: dict[tuple[str, frozenset[int], frozenset[int]], int] = {}
    for v in vehicles:
        variants.setdefault(variant(v), len(variants))
    blocking = len(variants) > 1 or any(blocked for _, blocked, _ in variants)
    offset = 1 if blocking else 0

    big = im.big
    dur_base = {}
    dist_base = {}
    max_edge = 1
    for name in {p for p, _, _ in variants}:
        dur = im.durations[name][np.ix_(src, src)].copy()
        dist = im.distances[name][np.ix_(src, src)].copy()
        if (dist >= 0).any():
            max_edge = max(max_edge, int(dist.max()))
        dur_base[name] = dur
        dist_base[name] = dist
    big_dist = max_edge * 4 + 1
    for name in dur_base:
        dur_base[name][dur_base[name] < 0] = big
        dist_base[name][dist_base[name] < 0] = big_dist
        np.fill_diagonal(dur_base[name], 0)
        np.fill_diagonal(dist_base[name], 0)

    durations: list[np.ndarray] = []
    distances: list[np.ndarray] = []
    if blocking:
        durations.append(np.minimum.reduce(list(dur_base.values())))
        distances.append(np.minimum.reduce(list(dist_base.values())))
    for (name, blocked, costly), _ in sorted(variants.items(), key=lambda kv: kv[1]):
        dur = dur_base[name].copy()
        if blocked:
            idx = np.array(sorted(blocked), dtype=np.int64) + nd
            dur[idx, :] = big
            dur[:, idx] = big
            dur[idx, idx] = 0
        dist = dist_base[name]
        if costly:
            # Reassignment cost: charged on every edge entering the stop.
            dist = dist.copy()
            idx = np.array(sorted(costly), dtype=np.int64) + nd
            dist[:, idx] += reassign
            dist[idx, idx] = 0
        durations.append(dur)
        distances.append(dist)

    n = len(stops)
    nv = len(vehicles)
    extra = {v.id: max(0, round(v.fixed_cost * unit)) for v in vehicles}
    travel_ub = (n + nv) * max_edge + n * reassign
    fixed = travel_ub + sum(extra.values()) + 1
    prize = nv * fixed + sum(extra.values()) + travel_ub + 1
    n_opt = sum(1 for s in stops if not s.required)
    prize_required = prize * (n_opt + 1)

    two_dims = any(v.max_stops is not None for v in vehicles)
    groups: dict[tuple, list[Vehicle]] = {}
    for v in vehicles:
        key = (
            depot_index[v.start_location],
            depot_index[v.end_location],
            im.shift(v),
            v.capacity,
            v.max_stops,
            v.initial_load,
            variants[variant(v)] + offset,
            extra[v.id],
        )
        groups.setdefault(key, []).append(v)
    vehicle_types = []
    types = []
    for key, vs in groups.items():
        start, end, (early, late), cap, max_stops, init_load, prof, ext = key
        capacity = [cap] + ([n if max_stops is None else max_stops] if two_dims else [])
        vehicle_types.append(
            VehicleType(
                num_available=len(vs),
                capacity=capacity,
                start_depot=start,
                end_depot=end,
                fixed_cost=fixed + ext,
                tw_early=early,
                tw_late=max(late, early),
                unit_distance_cost=1,
                profile=prof,
                initial_load=[init_load] + ([0] if two_dims else []),
                name=",".join(v.id for v in vs)[:200],
            )
        )
        types.append(vs)

    clients = []
    for s in stops:
        early, late = im.window(s)
        clients.append(
            Client(
                location=nd + len(clients),
                delivery=[s.delivery] + ([1] if two_dims else []),
                pickup=[s.pickup] + ([0] if two_dims else []),
                service_duration=im.service(s),
                tw_early=early,
                tw_late=max(late, early),
                prize=prize_required if s.required else prize,
                required=False,
                name=s.id,
            )
        )
    allowed = [frozenset(t for t, vs in enumerate(types) if compatible(s, vs[0])) for s in stops]
    locations = []
    for loc in src:
        pl = problem.locations[int(loc)]
        locations.append(pyvrp.Location(pl.x or 0.0, pl.y or 0.0))
    depots = [Depot(location=i, tw_early=0, tw_late=im.horizon) for i in range(nd)]
    data = ProblemData(locations, clients, depots, vehicle_types, distances, durations)
    assert n_loc == data.num_locations
    return Built(data, stops, types, prize, prize_required, fixed, im.big, allowed)


def to_pyvrp(data: ProblemData, plan: Plan) -> pyvrp.Solution:
    return pyvrp.Solution(data, [pyvrp.Route(data, visits, t) for t, visits in plan if visits])


def from_pyvrp(sol: pyvrp.Solution, type_map: list[int] | None = None) -> Plan:
    plan = []
    for r in sol.routes():
        t = r.vehicle_type()
        plan.append((type_map[t] if type_map else t, [a.idx for a in r if a.is_client()]))
    return plan


class _Budget:
    def __init__(self, time_limit: float, max_iterations: int | None):
        self.start = time.perf_counter()
        self.time_limit = max(0.0, time_limit)
        self.max_iterations = max_iterations
        self.iterations = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self, fraction: float) -> bool:
        if self.elapsed() >= fraction * self.time_limit - 1e-3:
            return False
        return self.max_iterations is None or self.iterations < fraction * self.max_iterations

    def ends(self, cap: float, share: float = 1.0) -> tuple[float, float]:
        """Ends (fractions of the time and of the iterations) ``share`` of the way to ``cap``
        more of the budget, not past ``REDUCE``."""
        now_t = self.elapsed() / self.time_limit if self.time_limit else 1.0
        now_i = self.iterations / self.max_iterations if self.max_iterations else 1.0
        return (
            now_t + share * (min(REDUCE, now_t + cap) - now_t),
            now_i + share * (min(REDUCE, now_i + cap) - now_i),
        )

    def stop_at(self, ends: tuple[float, float]):
        """Stopping criterion at the time and iteration ends given (see ``ends``)."""
        crit = [MaxRuntime(max(0.0, ends[0] * self.time_limit - self.elapsed()))]
        if self.max_iterations is not None:
            crit.append(MaxIterations(max(0, int(ends[1] * self.max_iterations - self.iterations))))
        return MultipleCriteria(crit)

    def stop(self, fraction: float, cap: float = 1.0):
        """Stopping criterion up to ``fraction`` of the budget, at most ``cap`` of it."""
        secs = max(0.0, min(fraction * self.time_limit - self.elapsed(), cap * self.time_limit))
        crit = [MaxRuntime(secs)]
        if self.max_iterations is not None:
            its = fraction * self.max_iterations - self.iterations
            its = max(0, int(min(its, cap * self.max_iterations)))
            crit.append(MaxIterations(its))
        return MultipleCriteria(crit)


class _OnBest(IteratedLocalSearchCallbacks):
    def __init__(self, fn: Callable[[pyvrp.Solution], None]):
        self.fn = fn

    def on_best(self, best: pyvrp.Solution) -> None:
        self.fn(best)


class _Below:
    """Stops as soon as the best cost is below a threshold."""

    def __init__(self, threshold: int):
        self.threshold = threshold

    def __call__(self, best_cost: float) -> bool:
        return best_cost < self.threshold


@dataclass
class _Penalties(PenaltyParams):
    """PyVRP's penalty parameters with an explicit starting value.

    The maximum penalty must let one unit of lateness or overload cost more than a stop's
    prize, otherwise, when not every stop can be served, the search prefers slightly infeasible
    plans that serve everything to feasible plans that drop a stop, and never becomes feasible.
    The start value stays at PyVRP's usual midpoint so the search behaves as usual otherwise.
    """

    initial: float = 50_000.0

    def midpoint_penalties(self, data: ProblemData) -> tuple[list[float], float, float]:
        value = min(max(self.initial, self.min_penalty), self.max_penalty)
        return ([value] * data.num_load_dimensions, value, value)


def penalty_params(built: Built, horizon: int) -> _Penalties:
    # Keep penalty x violation far from int64 overflow (violations are bounded by ~horizon).
    cap = 1e17 / max(horizon, 1)
    return _Penalties(max_penalty=max(100_000.0, min(2.0 * built.prize_required, cap)))


def prize_penalty_params(built: Built, horizon: int) -> _Penalties:
    """Penalties for a search in which some stops are optional: from the start, one unit of
    lateness or overload costs as much as a stop's prize.

    With PyVRP's usual start (50,000 a unit) a prize, which outweighs every route's travel,
    is worth hours of lateness: the local search packs nearly every stop into the routes, every
    candidate is badly late, the best feasible plan never changes, and the bloated routes make
    each iteration several times slower.  PyVRP only raises the penalties every 500 candidates,
    which a 1,000-stop day took the whole of its 90 s to reach.  Starting at the prize keeps the
    candidates near feasibility; PyVRP lowers the penalties from there when most candidates are
    feasible, so the search still crosses infeasible plans to shorten the routes.  It does so
    every as many candidates as there are stops (``PRIZE_UPDATES``): with PyVRP's 500, a
    district day's 3 s search stayed at the prize throughout.  On a 1,000-stop day every 500
    measured best: faster updates there served fewer stops."""
    base = penalty_params(built, horizon)
    return replace(
        base,
        initial=min(float(built.prize), base.max_penalty),
        solutions_between_updates=min(max(len(built.clients), PRIZE_UPDATES[0]), PRIZE_UPDATES[1]),
    )


def _solve(
    data, stop, seed, init, on_best, penalty: PenaltyParams, history: int = 300
) -> pyvrp.Result:
    ils = IteratedLocalSearchParams(callbacks=_OnBest(on_best), history_length=history)
    params = SolveParams(ils=ils, penalty=penalty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyvrp.solve(
            data,
            stop,
            seed=seed,
            collect_stats=False,
            display=False,
            params=params,
            initial_solution=init,
        )


HISTORY = 50
"""Late-acceptance history of the searches with optional stops (PyVRP: 300, kept elsewhere)."""
PRIZE_UPDATES = (50, 500)
"""Penalty updates in searches with optional stops: every as many candidates as there are
stops, within these bounds (PyVRP: 500)."""
PHASE1 = 0.25
REDUCE = 0.7
ATTEMPT = 0.45
ATTEMPT_AFTER = 0.15
REQUIRED_FIRST = True
REDUCE_PENALTY = PenaltyParams()
POLISH_PENALTY = PenaltyParams()
POLISH_FLEET = True
FLEET_BOUND = True
EJECTION = False
"""Ejection-pool route elimination in fleet reduction (``ejection.py``), after PyVRP failed on
its share of an attempt.  Off: on the 8 hardest Solomon instances at 10 s it never removed a
route PyVRP could not, and the half attempt it takes cost PyVRP routes at low load (14/40 at the
count off against 11/40 on over 5 pairs of runs; see the README).  A switch to measure again."""
EP_STALL = 300
"""Ejection-pool steps without fewer stops left out before PyVRP takes over the attempt."""
EP_STALL_AFTER = 100_000
"""The same for the pool after PyVRP failed (the hard route: it keeps the rest of the attempt)."""
EP_SHARE = 0.5
"""At most this share of an attempt for the ejection pool."""
EP_FIRST = False
"""The pool before PyVRP in an attempt (else after PyVRP failed on its share)."""


class Search:
    """Best-plan bookkeeping across the search phases."""

    def __init__(
        self,
        built: Built,
        budget: _Budget,
        seed: int,
        progress: Callable[[Plan], None] | None,
    ):
        self.built = built
        self.budget = budget
        self.seed = seed
        self.progress = progress
        self.penalty = penalty_params(built, built.horizon)
        self.prize_penalty = prize_penalty_params(built, built.horizon)
        self.best: Plan = []
        self.best_key = self.key([])
        self._ep_model: Model | None = None
        self._short: tuple[Plan, list[int]] | None = None

    def key(self, plan: Plan) -> tuple:
        """Hierarchical objective of a feasible plan (smaller is better)."""
        data = self.built.data
        served = [c for _, visits in plan for c in visits]
        req = sum(1 for c in served if self.built.clients[c].required)
        routes = [(t, v) for t, v in plan if v]
        cost = to_pyvrp(data, routes).distance_cost() if routes else 0
        fixed = sum(data.vehicle_type(t).fixed_cost for t, _ in routes)
        return (-req, -len(served), len(routes), fixed + cost)

    def offer(self, sol: pyvrp.Solution, type_map: list[int] | None = None) -> None:
        if not sol.is_feasible():
            return
        plan = from_pyvrp(sol, type_map)
        key = self.key(plan)
        if key < self.best_key:
            self.best, self.best_key = plan, key
            if self.progress is not None:
                self.progress(plan)

    def run(self, initial: Plan | None) -> None:
        data = self.built.data
        budget = self.budget
        if not self.built.clients or data.num_vehicles == 0:
            return
        init = to_pyvrp(data, initial) if initial else None
        if init is not None:
            self.offer(init)
        # Phase 1: plain search on the hierarchical cost.  First with every stop required
        # (PyVRP searches complete plans best), unless the capacity or working time of the
        # fleet, or of the vehicles that alone may serve some stops, shows that not every stop
        # can be served; when that finds nothing feasible, again with optional stops.
        overbooked = _overbooked(data, self.built.allowed)
        required_first = REQUIRED_FIRST and not overbooked
        if required_first:
            everything = data.replace(clients=[_required(c) for c in data.clients()])
            res = _solve(everything, budget.stop(PHASE1), self.seed, init, self.offer, self.penalty)
            budget.iterations += res.num_iterations
            self.offer(res.best)
        if not self.best or not required_first:
            # An overbooked day is searched with optional stops to the end: fewer vehicles
            # cannot come before more stops, and making the stops served so far required (the
            # polish) would stop the search trading one stop for two.
            end = 1.0 if overbooked else 2 * PHASE1 if required_first else PHASE1
            res = _solve(
                data, budget.stop(end), self.seed, init, self.offer, self.prize_penalty, HISTORY
            )
            budget.iterations += res.num_iterations
            self.offer(res.best)
        # Phase 2: one vehicle less, serving everything served so far.
        # Until the first success, attempts are long and try the routes in turn; after a
        # success, one short attempt more, so that time remains to shorten the new plan.
        attempt = successes = 0
        while budget.left(REDUCE) and len(self.best) > max(1, self._fleet_bound()):
            routes = sorted([r for r in self.best if r[1]], key=lambda r: (len(r[1]), r[0]))
            if attempt >= len(routes):
                break
            if self._reduce(routes, attempt, ATTEMPT_AFTER if successes else ATTEMPT):
                attempt = 0
                successes += 1
            elif successes:
                break
            else:
                attempt += 1
        # Phase 3: polish the best plan.
        if budget.left(1.0) or not self.best:
            self._polish()

    def _fleet_bound(self) -> int:
        """Fewest vehicles whose capacities can hold the loads of the stops served so far."""
        if not FLEET_BOUND:
            return 0
        data = self.built.data
        served = [data.clients()[c] for _, v in self.best for c in v]
        bound = 0
        for d in range(data.num_load_dimensions):
            need = max(sum(c.delivery[d] for c in served), sum(c.pickup[d] for c in served))
            room = sorted(
                (
                    vt.capacity[d] - vt.initial_load[d]
                    for vt in data.vehicle_types()
                    for _ in range(vt.num_available)
                ),
                reverse=True,
            )
            m = total = 0
            while total < need and m < len(room):
                total += room[m]
                m += 1
            bound = max(bound, m)
        return bound

    def _polish(self) -> None:
        data = self.built.data
        budget = self.budget
        # Stops served by the best plan are required from now on (PyVRP then searches
        # complete plans, which it does best); the others stay optional.
        served = {c for _, v in self.best for c in v}
        clients = [_required(c) if i in served else c for i, c in enumerate(data.clients())]
        vts = None
        everything = len(served) == data.num_clients
        if POLISH_FLEET and self.best and everything:
            # Everything is served: at most as many vehicles of each type as the best plan uses
            # in all.  Fewer empty routes for the search to consider (much faster iterations),
            # and no plan with more vehicles to wander in.
            k = sum(1 for _, v in self.best if v)
            vts = [
                vt.replace(num_available=min(k, vt.num_available)) for vt in data.vehicle_types()
            ]
        polish = data.replace(clients=clients, vehicle_types=vts)
        start = to_pyvrp(polish, self.best) if self.best else pyvrp.Solution(polish, [])
        # Stops left out still carry their prize: the penalties start at the prize, or the
        # search would pack them in late and never find a better feasible plan.
        penalty, history = (POLISH_PENALTY, 300) if everything else (self.prize_penalty, HISTORY)
        res = _solve(polish, budget.stop(1.0), self.seed + 1, start, self.offer, penalty, history)
        budget.iterations += res.num_iterations
        self.offer(res.best)

    def _complete(self) -> bool:
        return sum(len(v) for _, v in self.best) == self.built.data.num_clients

    def _eject(
        self,
        routes: Plan,
        drop: int,
        ends: tuple[float, float],
        short: tuple[Plan, list[int]] | None = None,
    ) -> Plan | None:
        """Ejection-pool elimination of ``routes[drop]`` until ``ends`` (see ``_Budget.ends``):
        None when it succeeded (the plan is offered); otherwise the partial plan that left the
        fewest stops out.  With ``short`` (a feasible plan without ``routes[drop]``'s vehicle
        and the stops it leaves out), the pool starts from there."""
        budget = self.budget
        if self._ep_model is None:
            self._ep_model = Model(self.built.data)
        start = short[0] if short is not None else routes
        elim = Eliminator(self.built.data, start, self.seed + 7 * drop + 3, self._ep_model)
        if budget.max_iterations is None:
            until = budget.start + ends[0] * budget.time_limit
            steps = None
        else:
            # Steps, not the clock: deterministic.  A pool step counts as an iteration.
            until = None
            steps = max(0, int(ends[1] * budget.max_iterations - budget.iterations))
        if short is not None:
            ok = elim.eliminate_one(until, steps, stall=EP_STALL_AFTER, pool=short[1])
        else:
            ok = elim.eliminate_one(until, steps, stall=EP_STALL, victim=drop)
        budget.iterations += elim.steps
        if ok:
            self.offer(to_pyvrp(self.built.data, elim.plan()))
            return None
        return elim.partial

    def _reduce(self, routes: Plan, drop: int, cap: float) -> bool:
        """Try to serve the clients of ``routes`` with the vehicles of all but ``routes[drop]``."""
        before = self.best_key
        keep = fleet = [r for i, r in enumerate(routes) if i != drop]
        budget = self.budget
        if not (EJECTION and self._complete()):
            return self._pyvrp_reduce(routes, fleet, keep, drop, budget.stop(REDUCE, cap))
        if EP_FIRST:
            # The pool goes first, for at most a share of the attempt and only while it
            # makes progress (``EP_STALL``); PyVRP has the rest.
            end = budget.ends(cap)
            partial = self._eject(routes, drop, budget.ends(cap, EP_SHARE))
            if partial is None:
                return self.best_key < before
            return self._pyvrp_reduce(routes, fleet, partial, drop, budget.stop_at(end))
        # PyVRP first (it is quick where removing a route is easy); when it fails, the pool
        # has the rest of the attempt, from PyVRP's plan with the fewest stops left out.
        end = budget.ends(cap)
        mid = budget.ends(cap, 1 - EP_SHARE)
        if self._pyvrp_reduce(routes, fleet, keep, drop, budget.stop_at(mid)):
            return True
        self._eject(routes, drop, end, self._short)
        return self.best_key < before

    def _pyvrp_reduce(self, routes: Plan, fleet: Plan, keep: Plan, drop: int, stop) -> bool:
        """PyVRP on the vehicles of ``fleet`` from ``keep``, prizes on what ``routes`` serve."""
        data = self.built.data
        before = self.best_key
        counts = Counter(t for t, _ in fleet)
        type_map = sorted(counts)
        local = {t: i for i, t in enumerate(type_map)}
        vts = [data.vehicle_type(t).replace(num_available=counts[t]) for t in type_map]
        served = {c for _, visits in routes for c in visits}
        # All stops stay optional, so plans that leave some of the removed route's stops out
        # are feasible and the search works in its normal regime (it swaps stops in and out
        # like an ejection pool).  The stops served so far get a prize that outweighs a lot of
        # lateness (~1% of the horizon at PyVRP's usual maximum penalty), so the search pushes
        # them in and then repairs the schedule.  Done when nothing served before is missing.
        prize = max(self.built.prize, int(REDUCE_PENALTY.max_penalty * self.built.horizon / 200))
        clients = [
            _client(c, prize=max(prize, c.prize)) if i in served else c
            for i, c in enumerate(data.clients())
        ]
        sub = data.replace(vehicle_types=vts, clients=clients)
        init = to_pyvrp(sub, [(local[t], v) for t, v in keep])
        missing_before = sum(c.prize for i, c in enumerate(clients) if i not in served)
        # The feasible plan leaving the fewest of those stops out, for the pool after a failure.
        self._short = None
        fewest = [len(served) - sum(len(v) for _, v in keep), keep]

        def shorter(sol: pyvrp.Solution) -> None:
            if EJECTION and sol.is_feasible():
                plan = [(type_map[t], v) for t, v in from_pyvrp(sol)]
                out = len(served) - sum(1 for _, v in plan for c in v if c in served)
                if out < fewest[0]:
                    fewest[:] = [out, plan]

        res = _solve(
            sub,
            MultipleCriteria([_Below(missing_before + prize), stop]),
            self.seed + 7 * drop + 1,
            init,
            shorter,
            REDUCE_PENALTY,
        )
        self.budget.iterations += res.num_iterations
        shorter(res.best)
        self.offer(res.best, type_map)
        plan = fewest[1]
        inside = {c for _, v in plan for c in v}
        self._short = (plan, sorted(served - inside))
        return self.best_key < before


def _overbooked(data: ProblemData, allowed: list[frozenset[int]] | None = None) -> bool:
    """Whether the fleet cannot serve every stop: for the whole fleet, or for the vehicles
    that alone may serve some stops (e.g. the Russian speakers, who alone may serve the stops
    in Russian), the loads of those stops exceed the vehicles' room in some dimension, or the
    stops' service alone exceeds the vehicles' shifts.  ``allowed``: per client, the vehicle
    types that may serve it."""
    clients = data.clients()
    every = frozenset(range(data.num_vehicle_types))
    allowed = allowed if allowed is not None else [every] * len(clients)
    for group in {every, *allowed}:
        inside = [c for c, types in zip(clients, allowed, strict=True) if types <= group]
        fleet = [
            vt
            for t in sorted(group)
            for vt in [data.vehicle_type(t)] * data.vehicle_type(t).num_available
        ]
        for d in range(data.num_load_dimensions):
            room = sum(vt.capacity[d] - vt.initial_load[d] for vt in fleet)
            need = max(sum(c.delivery[d] for c in inside), sum(c.pickup[d] for c in inside))
            if need > room:
                return True
        service = sum(c.service_duration for c in inside)
        if service > sum(vt.tw_late - vt.tw_early for vt in fleet):
            return True
    return False


def _required(c: Client) -> Client:
    return _client(c, required=True)


def _client(c: Client, **changes) -> Client:
    fields = {
        "location": c.location,
        "delivery": list(c.delivery),
        "pickup": list(c.pickup),
        "service_duration": c.service_duration,
        "tw_early": c.tw_early,
        "tw_late": c.tw_late,
        "release_time": c.release_time,
        "prize": c.prize,
        "required": c.required,
        "group": c.group,
        "name": c.name,
    }
    fields.update(changes)
    return Client(**fields)
