"""Route elimination with an ejection pool (after Nagata and Bräysy, 2009).

Works on the engine's integer model (the ``ProblemData`` that ``engine.build`` makes), so it
sees every constraint exactly as PyVRP does: each vehicle type's own duration and distance
matrices (a stop forbidden to a vehicle has prohibitive durations in that vehicle's profile,
so a route through it is always late), time windows of stops and shifts, the simultaneous
delivery/pickup load and the ``max_stops`` dimension.

One elimination: take a route away and put its stops in the ejection pool (EP).  Repeatedly
take the last stop from the EP and insert it where it adds the least distance among the
feasible positions (O(1) per position: earliest service starts forward, latest service starts
backward, load prefix/suffix maxima).  When no position is feasible, the squeeze
(``squeeze.py``) tries to insert it with a penalty and repair the route; when that fails too,
the stop's penalty counter ``p`` goes up, and it goes in anyway in place of at most ``K_MAX``
stops of one route whose counters sum least (those go to the EP); then a few random feasible
moves (relocate, exchange, 2-opt*) shake the plan.  The EP empty means one route fewer.  Every
intermediate plan is feasible.

Determinism: a seeded ``random.Random``; with a step limit (the engine gives one when the
caller bounds iterations) the clock is not looked at.
"""

from __future__ import annotations

import random
import time

from pyvrp import ProblemData

from .squeeze import squeeze

Plan = list[tuple[int, list[int]]]

K_MAX = 5
"""At most this many stops ejected from one route to make room for one."""
NODES = 4000
"""Search nodes per route and step for the ejection (wide windows make the tree large)."""
SHAKE = 60
"""Random moves tried after each ejection."""
SQUEEZE = True
"""Before an ejection, insert with a penalty and repair by local search (``squeeze.py``)."""
RANDOM_INSERT = True
"""A stop from the pool goes to a random route that can take it (at its cheapest place there)
rather than to the cheapest place overall: more diversity, as in the reference."""

_NEG = -(1 << 62)


class _Type:
    __slots__ = ("dur", "dist", "start", "end", "early", "start_late", "late", "cap", "init")

    def __init__(self, data: ProblemData, t: int, mats: dict):
        vt = data.vehicle_type(t)
        if vt.profile not in mats:
            mats[vt.profile] = (
                data.duration_matrix(vt.profile).tolist(),
                data.distance_matrix(vt.profile).tolist(),
            )
        self.dur, self.dist = mats[vt.profile]
        sd, ed = data.depot(vt.start_depot), data.depot(vt.end_depot)
        self.start, self.end = sd.location, ed.location
        self.early = max(vt.tw_early, sd.tw_early)
        self.start_late = min(vt.start_late, sd.tw_late)
        self.late = min(vt.tw_late, ed.tw_late)
        self.cap = tuple(vt.capacity)
        self.init = tuple(vt.initial_load) or (0,) * len(self.cap)


class Model:
    """Flat lists of the integer model: Python indexing is much faster than numpy's."""

    def __init__(self, data: ProblemData):
        cs = data.clients()
        self.loc = [c.location for c in cs]
        self.early = [c.tw_early for c in cs]
        self.late = [c.tw_late for c in cs]
        self.serv = [c.service_duration for c in cs]
        self.dl = [tuple(c.delivery) for c in cs]
        self.pk = [tuple(c.pickup) for c in cs]
        self.dims = data.num_load_dimensions
        mats: dict = {}
        self.types = [_Type(data, t, mats) for t in range(data.num_vehicle_types)]


class _Route:
    """A route with the arrays that make an insertion check O(1)."""

    __slots__ = ("t", "seq", "locs", "sv", "a", "z", "load", "pre", "suf", "cd", "cp", "ok")

    def __init__(self, m: Model, t: int, seq: list[int]):
        self.t = t
        self.seq = seq
        self.refresh(m)

    def refresh(self, m: Model) -> None:
        T = m.types[self.t]
        dur = T.dur
        seq = self.seq
        locs = [T.start] + [m.loc[c] for c in seq] + [T.end]
        n = len(locs)
        a = [0] * n
        a[0] = T.early
        ok = True
        prev, t = locs[0], T.early
        for k in range(1, n - 1):
            c = seq[k - 1]
            t = max(t + dur[prev][locs[k]], m.early[c])
            if t > m.late[c]:
                ok = False
            a[k] = t
            t += m.serv[c]
            prev = locs[k]
        t += dur[prev][locs[-1]]
        a[-1] = t
        ok = ok and t <= T.late
        z = [0] * n
        z[-1] = T.late
        for k in range(n - 2, 0, -1):
            c = seq[k - 1]
            z[k] = min(m.late[c], z[k + 1] - dur[locs[k]][locs[k + 1]] - m.serv[c])
        z[0] = min(T.start_late, z[1] - dur[locs[0]][locs[1]])
        # Loads after leaving each position (0: the start depot), per dimension.
        load, pre, suf, cds, cps = [], [], [], [], []
        for d in range(m.dims):
            cd, cp = [0], [0]  # deliveries, pickups of the stops up to each position
            for c in seq:
                cd.append(cd[-1] + m.dl[c][d])
                cp.append(cp[-1] + m.pk[c][d])
            cds.append(cd)
            cps.append(cp)
            cur = T.init[d] + cd[-1]
            ld = [cur]
            for c in seq:
                cur += m.pk[c][d] - m.dl[c][d]
                ld.append(cur)
            pr = ld[:]
            for k in range(1, len(pr)):
                pr[k] = max(pr[k], pr[k - 1])
            sf = ld[:] + [_NEG]
            for k in range(len(ld) - 2, -1, -1):
                sf[k] = max(sf[k], sf[k + 1])
            if pr[-1] > T.cap[d]:
                ok = False
            load.append(ld)
            pre.append(pr)
            suf.append(sf)
        self.locs, self.a, self.z = locs, a, z
        self.sv = [0] + [m.serv[c] for c in seq] + [0]
        self.cd, self.cp = cds, cps
        self.load, self.pre, self.suf = load, pre, suf
        self.ok = ok

    def best_insert(self, m: Model, u: int) -> tuple[int, int] | None:
        """(added distance, position) of the cheapest feasible insertion of ``u``, or None."""
        T = m.types[self.t]
        dur, dist = T.dur, T.dist
        lu, eu, late_u, su = m.loc[u], m.early[u], m.late[u], m.serv[u]
        du, pu = m.dl[u], m.pk[u]
        locs, a, z = self.locs, self.a, self.z
        best = None
        sv = self.sv
        dims = range(m.dims)
        for i in range(len(locs) - 1):
            li, lj = locs[i], locs[i + 1]
            t = max(a[i] + sv[i] + dur[li][lu], eu)
            if t > late_u or t + su + dur[lu][lj] > z[i + 1]:
                continue
            fits = True
            for d in dims:
                if (
                    self.pre[d][i] + du[d] > T.cap[d]
                    or self.load[d][i] + pu[d] > T.cap[d]
                    or self.suf[d][i + 1] + pu[d] > T.cap[d]
                ):
                    fits = False
                    break
            if not fits:
                continue
            delta = dist[li][lu] + dist[lu][lj] - dist[li][lj]
            if best is None or delta < best[0]:
                best = (delta, i)
        return best


    def fits(self, m: Model, u: int, i: int) -> bool:
        """Whether ``u`` fits between positions ``i`` and ``i + 1`` (O(1))."""
        T = m.types[self.t]
        dur, locs, lu = T.dur, self.locs, m.loc[u]
        t = max(self.a[i] + self.sv[i] + dur[locs[i]][lu], m.early[u])
        if t > m.late[u] or t + m.serv[u] + dur[lu][locs[i + 1]] > self.z[i + 1]:
            return False
        for d in range(m.dims):
            cap = T.cap[d]
            if (
                self.pre[d][i] + m.dl[u][d] > cap
                or self.load[d][i] + m.pk[u][d] > cap
                or self.suf[d][i + 1] + m.pk[u][d] > cap
            ):
                return False
        return True

    def without(self, m: Model, q: int) -> bool:
        """Whether the route stays feasible without the stop at position ``q`` (O(1)); fewer
        items on board never hurt."""
        dur, locs = m.types[self.t].dur, self.locs
        return self.a[q - 1] + self.sv[q - 1] + dur[locs[q - 1]][locs[q + 1]] <= self.z[q + 1]

    def swap_fits(self, m: Model, q: int, u: int) -> bool:
        """Whether ``u`` can take the place of the stop at position ``q`` (O(1))."""
        T = m.types[self.t]
        dur, locs, lu = T.dur, self.locs, m.loc[u]
        t = max(self.a[q - 1] + self.sv[q - 1] + dur[locs[q - 1]][lu], m.early[u])
        if t > m.late[u] or t + m.serv[u] + dur[lu][locs[q + 1]] > self.z[q + 1]:
            return False
        x = self.seq[q - 1]
        for d in range(m.dims):
            cap = T.cap[d]
            if (
                self.pre[d][q - 1] - m.dl[x][d] + m.dl[u][d] > cap
                or self.load[d][q - 1] - m.dl[x][d] + m.pk[u][d] > cap
                or self.suf[d][q + 1] - m.pk[x][d] + m.pk[u][d] > cap
            ):
                return False
        return True


def _tails_fit(m: Model, r1: _Route, i: int, r2: _Route, j: int) -> bool:
    """Whether r1 up to position ``i`` followed by r2 after position ``j`` is feasible, for
    routes of one vehicle type (O(1))."""
    T = m.types[r1.t]
    if r1.a[i] + r1.sv[i] + T.dur[r1.locs[i]][r2.locs[j + 1]] > r2.z[j + 1]:
        return False
    for d in range(m.dims):
        cd1, cd2 = r1.cd[d], r2.cd[d]
        head = r1.pre[d][i] - (cd1[-1] - cd1[i]) + (cd2[-1] - cd2[j])
        tail = r2.suf[d][j + 1] - r2.cp[d][j] + r1.cp[d][i]
        if head > T.cap[d] or tail > T.cap[d]:
            return False
    return True


def feasible(m: Model, t: int, seq: list[int]) -> bool:
    """Whether ``seq`` is a feasible route for vehicle type ``t`` (a forward pass)."""
    T = m.types[t]
    dur = T.dur
    prev, now = T.start, T.early
    for c in seq:
        lc = m.loc[c]
        now = max(now + dur[prev][lc], m.early[c])
        if now > m.late[c]:
            return False
        now += m.serv[c]
        prev = lc
    if now + dur[prev][T.end] > T.late:
        return False
    for d in range(m.dims):
        cur = T.init[d] + sum(m.dl[c][d] for c in seq)
        if cur > T.cap[d]:
            return False
        for c in seq:
            cur += m.pk[c][d] - m.dl[c][d]
            if cur > T.cap[d]:
                return False
    return True


class Eliminator:
    """Removes routes from a feasible plan serving every stop, one at a time.

    An attempt is bounded by ``max_steps`` (pool steps: deterministic) when given, otherwise by
    ``until`` (a ``time.perf_counter()`` value).  ``steps`` counts the steps of all attempts.
    """

    def __init__(self, data: ProblemData, plan: Plan, seed: int, model: Model | None = None):
        self.m = model if model is not None else Model(data)
        self.rng = random.Random(seed)
        self.routes = [_Route(self.m, t, list(v)) for t, v in plan if v]
        self.steps = 0

    def plan(self) -> Plan:
        return [(r.t, list(r.seq)) for r in self.routes if r.seq]

    def eliminate_one(
        self,
        until: float | None,
        max_steps: int | None,
        stall: int = 1 << 60,
        victim: int | None = None,
        pool: list[int] | None = None,
    ) -> bool:
        """Try to serve every stop with one route fewer.  On failure the plan is unchanged and
        ``partial`` holds the feasible plan that left the fewest stops (``left_out``) out; the
        attempt also ends after ``stall`` steps without a new fewest.  ``victim``: the index in
        ``plan()`` of the route to take away (default: the one with the fewest stops).  With
        ``pool`` (stops the plan leaves out), no route is taken away: the pool is emptied into
        the plan as it is (a plan another search left short)."""
        m, rng = self.m, self.rng
        saved = [(r.t, list(r.seq)) for r in self.routes]
        if pool is not None:
            pool = list(pool)
        else:
            if victim is None:
                victim = min(range(len(self.routes)), key=lambda i: (len(self.routes[i].seq), i))
            pool = list(self.routes.pop(victim).seq)
        rng.shuffle(pool)
        p = [1] * len(m.loc)
        start = self.steps
        self.partial = [(r.t, list(r.seq)) for r in self.routes]
        self.left_out = list(pool)
        last_gain = start
        while pool:
            if max_steps is not None:
                if self.steps - start >= max_steps:
                    break
            elif until is not None and time.perf_counter() >= until:
                break
            if self.steps - last_gain >= stall:
                break
            if len(pool) < len(self.left_out):
                self.partial = [(r.t, list(r.seq)) for r in self.routes if r.seq]
                self.left_out = list(pool)
                last_gain = self.steps
            self.steps += 1
            u = pool.pop()
            if self._insert(u) or (SQUEEZE and self._squeeze(u)):
                continue
            p[u] += 1
            ejected = self._eject(u, p)
            if ejected is None:
                pool.insert(0, u)  # nothing makes room now; try again after the shake
            else:
                pool.extend(ejected)
            self._shake(SHAKE)
        if pool:
            self.routes = [_Route(m, t, seq) for t, seq in saved]
            return False
        self.routes = [r for r in self.routes if r.seq]
        return True

    def _insert(self, u: int) -> bool:
        """Insert ``u`` at a feasible position: the cheapest of a random route's (Nagata and
        Bräysy pick a random feasible position; this keeps their diversity, less the waste)."""
        found = []
        for k, r in enumerate(self.routes):
            at = r.best_insert(self.m, u)
            if at is not None:
                found.append((at[0], k, at[1]))
        if not found:
            return False
        if RANDOM_INSERT:
            _, k, i = found[self.rng.randrange(len(found))]
        else:
            _, k, i = min(found)
        r = self.routes[k]
        r.seq.insert(i, u)
        r.refresh(self.m)
        return True

    def _squeeze(self, u: int) -> bool:
        """Insert ``u`` with a penalty and repair (``squeeze.py``); False: nothing changed."""
        return squeeze(self.m, self.routes, u)

    def _eject(self, u: int, p: list[int]) -> list[int] | None:
        """Insert ``u`` in place of at most ``K_MAX`` stops of one route, those whose penalty
        counters sum least (ties: the first found from a random route on)."""
        m, routes = self.m, self.routes
        best: list = [1 << 60, None]  # penalty sum, (route, new sequence, ejected)
        start = self.rng.randrange(len(routes)) if routes else 0
        for off in range(len(routes)):
            k = (start + off) % len(routes)
            _search_route(m, routes[k], k, u, p, best, NODES)
            if best[0] <= 1:
                break
        if best[1] is None:
            return None
        k, seq, ejected = best[1]
        r = routes[k]
        r.seq = seq
        r.refresh(m)
        return ejected

    def _shake(self, tries: int) -> None:
        """Random feasible moves between two routes: relocate, exchange, 2-opt*."""
        m, rng, routes = self.m, self.rng, self.routes
        nr = len(routes)
        if nr < 2:
            return
        for _ in range(tries):
            i = rng.randrange(nr)
            j = rng.randrange(nr - 1)
            j += j >= i
            r1, r2 = routes[i], routes[j]
            n1, n2 = len(r1.seq), len(r2.seq)
            if not n1:
                continue
            kind = rng.randrange(3)
            x = rng.randrange(n1) + 1  # a stop's position in r1
            if kind == 0:  # relocate r1's stop x into r2 after position y
                y = rng.randrange(n2 + 1)
                c = r1.seq[x - 1]
                if not (r1.without(m, x) and r2.fits(m, c, y)):
                    continue
                s1 = r1.seq[: x - 1] + r1.seq[x:]
                s2 = r2.seq[:y] + [c] + r2.seq[y:]
            elif kind == 1:  # exchange r1's stop x and r2's stop y
                if not n2:
                    continue
                y = rng.randrange(n2) + 1
                c1, c2 = r1.seq[x - 1], r2.seq[y - 1]
                if not (r1.swap_fits(m, x, c2) and r2.swap_fits(m, y, c1)):
                    continue
                s1 = r1.seq[: x - 1] + [c2] + r1.seq[x:]
                s2 = r2.seq[: y - 1] + [c1] + r2.seq[y:]
            else:  # 2-opt*: r1 up to x - 1, then r2 after y; and the other way round
                y = rng.randrange(n2 + 1)
                s1 = r1.seq[: x - 1] + r2.seq[y:]
                s2 = r2.seq[:y] + r1.seq[x - 1:]
                if r1.t == r2.t:
                    if not (_tails_fit(m, r1, x - 1, r2, y) and _tails_fit(m, r2, y, r1, x - 1)):
                        continue
                elif not (feasible(m, r1.t, s1) and feasible(m, r2.t, s2)):
                    continue
            r1.seq, r2.seq = s1, s2
            r1.refresh(m)
            r2.refresh(m)


def _search_route(m: Model, r: _Route, k: int, u: int, p: list[int], best: list, nodes: int):
    """Depth-first, in route order: before each stop, insert ``u`` (once), eject the stop, or
    keep it; a branch ends when the schedule is back on the route's latest starts (the rest is
    then unchanged and feasible).  Pruned by lateness and by the best penalty sum so far."""
    T = m.types[r.t]
    dur, seq, z = T.dur, r.seq, r.z
    n = len(seq)
    lu, eu, late_u, su = m.loc[u], m.early[u], m.late[u], m.serv[u]
    loc, early, late, serv = m.loc, m.early, m.late, m.serv
    ejected: list[int] = []
    count = nodes
    end, tlate, kmax = T.end, T.late, K_MAX

    def done(ins: int) -> None:
        out = set(ejected)
        new = [c for j, c in enumerate(seq) if j not in out and j < ins]
        new.append(u)
        new += [c for j, c in enumerate(seq) if j not in out and j >= ins]
        if feasible(m, r.t, new):
            best[0] = sum(p[seq[j]] for j in ejected)
            best[1] = (k, new, [seq[j] for j in ejected])

    def rec(j: int, prev: int, dep: int, ins: int, ps: int, ne: int) -> None:
        # At stop j (n: the end depot); ``dep`` the departure from ``prev``; ``ins`` where
        # u went (-1: not yet); ``ne`` stops ejected so far.  Locals, not attribute lookups:
        # this is the pool's hot loop.
        nonlocal count
        count -= 1
        if count < 0 or ps >= best[0]:
            return
        if ins < 0:
            t = dep + dur[prev][lu]
            if t < eu:
                t = eu
            if t <= late_u:
                rec(j, lu, t + su, j, ps, ne)
        if j == n:
            if ne and ins >= 0 and dep + dur[prev][end] <= tlate:
                done(ins)
            return
        c = seq[j]
        lc = loc[c]
        arr = dep + dur[prev][lc]
        if ne and ins >= 0 and arr <= z[j + 1]:
            done(ins)
            if ps >= best[0]:
                return
        if ne < kmax:
            q = ps + p[c]
            if q < best[0]:
                ejected.append(j)
                rec(j + 1, prev, dep, ins, q, ne + 1)
                ejected.pop()
        t = arr if arr > early[c] else early[c]
        if t <= late[c]:
            rec(j + 1, lc, t + serv[c], ins, ps, ne)

    rec(0, T.start, r.a[0], -1, 0, 0)
