"""The squeeze step of the ejection pool (after Nagata and Bräysy, 2009).

A stop that fits nowhere goes in at the place of least penalised infeasibility (time warp: the
time a route would have to go back to keep its windows, plus overload over each capacity), and
a local search moves stops out of that route while the penalty drops: relocate a stop of it to
a place in another route where it fits, or exchange it with a stop of another route that keeps
that route feasible.  Accepted only when the route becomes feasible; otherwise every route is
as it was.  Works on ``ejection``'s model and routes (``m``: ``ejection.Model``; a route has
``t``, ``seq``, ``refresh``, ``best_insert``, ``swap_fits``).
"""

from __future__ import annotations

MOVES = 20
"""Improving moves at most in one squeeze."""


def penalty(m, t: int, seq: list[int]) -> int:
    """Time warp plus overload of ``seq`` on vehicle type ``t`` (0: feasible)."""
    T = m.types[t]
    dur, loc, early, late, serv = T.dur, m.loc, m.early, m.late, m.serv
    prev, now, warp = T.start, T.early, 0
    for c in seq:
        lc = loc[c]
        now += dur[prev][lc]
        if now < early[c]:
            now = early[c]
        if now > late[c]:
            warp += now - late[c]
            now = late[c]
        now += serv[c]
        prev = lc
    now += dur[prev][T.end]
    if now > T.late:
        warp += now - T.late
    over = 0
    for d in range(m.dims):
        cap = T.cap[d]
        cur = T.init[d] + sum(m.dl[c][d] for c in seq)
        top = cur
        for c in seq:
            cur += m.pk[c][d] - m.dl[c][d]
            if cur > top:
                top = cur
        if top > cap:
            over += top - cap
    return warp + over


def squeeze(m, routes: list, u: int, moves: int = MOVES) -> bool:
    """Insert ``u`` into ``routes`` and repair (see the module); True when the plan is
    feasible with ``u`` served, False (and ``routes`` unchanged) otherwise."""
    best = None
    for k, r in enumerate(routes):
        seq = r.seq
        for i in range(len(seq) + 1):
            pen = penalty(m, r.t, seq[:i] + [u] + seq[i:])
            if best is None or pen < best[0]:
                best = (pen, k, i)
    if best is None:
        return False
    pen, k, i = best
    saved = {}
    r = routes[k]
    saved[k] = list(r.seq)
    r.seq = r.seq[:i] + [u] + r.seq[i:]
    others = [j for j in range(len(routes)) if j != k]
    while pen > 0 and moves > 0:
        moves -= 1
        step = _improve(m, routes, r, others, pen)
        if step is None:
            break
        pen, j, seq_r, seq_j = step
        saved.setdefault(j, list(routes[j].seq))
        r.seq = seq_r
        routes[j].seq = seq_j
        routes[j].refresh(m)
    if pen > 0:
        for j, seq in saved.items():
            routes[j].seq = seq
            routes[j].refresh(m)
        return False
    r.refresh(m)
    return True


def _improve(m, routes: list, r, others: list[int], pen: int):
    """The move that lowers ``r``'s penalty most and keeps the other route feasible:
    (new penalty, other route, r's new sequence, the other's), or None."""
    seq = r.seq
    best = None
    for x, c in enumerate(seq):
        rest = seq[:x] + seq[x + 1:]
        without = penalty(m, r.t, rest)
        for j in others:
            r2 = routes[j]
            if without < pen and (best is None or without < best[0]):
                at = r2.best_insert(m, c)
                if at is not None:
                    i = at[1]
                    best = (without, j, rest, r2.seq[:i] + [c] + r2.seq[i:])
                    continue
            for y in range(1, len(r2.seq) + 1):
                if not r2.swap_fits(m, y, c):
                    continue
                c2 = r2.seq[y - 1]
                new = seq[:x] + [c2] + seq[x + 1:]
                p2 = penalty(m, r.t, new)
                if p2 < pen and (best is None or p2 < best[0]):
                    best = (p2, j, new, r2.seq[: y - 1] + [c] + r2.seq[y:])
    return best
