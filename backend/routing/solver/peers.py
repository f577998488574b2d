"""Reference solvers for the benchmark: vroom (pyvroom) and OR-Tools routing.

Both get the same integer model as our engine (times and distances x1000, travel times rounded
up so their plans are feasible with real Euclidean times), a large fixed cost per vehicle (fewest
vehicles first) and the same time limit.  Each returns routes as lists of customer numbers.
"""

from __future__ import annotations

import datetime
import math
import time

import numpy as np

from .solomon import Instance

SCALE = 1000


def _matrices(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    xy = np.array([[c.x, c.y] for c in inst.customers], dtype=float)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return np.ceil(d * SCALE).astype(np.int64), np.rint(d * SCALE).astype(np.int64)


def _fixed_cost(cost: np.ndarray) -> int:
    return int(cost.max()) * (len(cost) + 1) + 1


def solve_vroom(inst: Instance, time_limit: float) -> tuple[list[list[int]], float]:
    import vroom

    start = time.perf_counter()
    dur, cost = _matrices(inst)
    inp = vroom.Input()
    inp.set_durations_matrix("car", dur)
    inp.set_costs_matrix("car", cost)
    depot = inst.customers[0]
    fixed = _fixed_cost(cost)
    for k in range(inst.vehicles):
        inp.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=0,
                end=0,
                capacity=[inst.capacity],
                time_window=(math.ceil(depot.ready * SCALE), math.floor(depot.due * SCALE)),
                costs=vroom.VehicleCosts(fixed=fixed),
            )
        )
    for i, c in enumerate(inst.customers):
        if i == 0:
            continue
        inp.add_job(
            vroom.Job(
                i,
                location=i,
                delivery=[c.demand],
                default_service=math.ceil(c.service * SCALE),
                time_windows=[(math.ceil(c.ready * SCALE), math.floor(c.due * SCALE))],
            )
        )
    sol = inp.solve(
        exploration_level=5, nb_threads=1, timeout=datetime.timedelta(seconds=time_limit)
    )
    routes: dict[int, list[int]] = {}
    df = sol.routes
    for vid, typ, loc in zip(df["vehicle_id"], df["type"], df["location_index"], strict=True):
        if typ == "job":
            routes.setdefault(int(vid), []).append(inst.customers[int(loc)].number)
    return [routes[k] for k in sorted(routes)], time.perf_counter() - start


def solve_ortools(inst: Instance, time_limit: float) -> tuple[list[list[int]], float]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    start = time.perf_counter()
    dur, cost = _matrices(inst)
    n = len(inst.customers)
    service = [math.ceil(c.service * SCALE) for c in inst.customers]
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    cost_l = cost.tolist()
    time_l = (dur + np.array(service, dtype=np.int64)[:, None]).tolist()

    def arc_cost(i: int, j: int) -> int:
        return cost_l[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def transit(i: int, j: int) -> int:
        return time_l[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def demand(i: int) -> int:
        return inst.customers[manager.IndexToNode(i)].demand

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    routing.SetFixedCostOfAllVehicles(_fixed_cost(cost))
    horizon = math.floor(inst.customers[0].due * SCALE)
    routing.AddDimension(routing.RegisterTransitCallback(transit), horizon, horizon, False, "T")
    tdim = routing.GetDimensionOrDie("T")
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand), 0, [inst.capacity] * inst.vehicles, True, "Q"
    )
    for i, c in enumerate(inst.customers):
        if i == 0:
            continue
        tdim.CumulVar(manager.NodeToIndex(i)).SetRange(
            math.ceil(c.ready * SCALE), math.floor(c.due * SCALE)
        )
    depot = inst.customers[0]
    for v in range(inst.vehicles):
        tdim.CumulVar(routing.Start(v)).SetRange(math.ceil(depot.ready * SCALE), horizon)
        tdim.CumulVar(routing.End(v)).SetRange(math.ceil(depot.ready * SCALE), horizon)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    sol = routing.SolveWithParameters(params)
    routes: list[list[int]] = []
    if sol is not None:
        for v in range(inst.vehicles):
            idx = sol.Value(routing.NextVar(routing.Start(v)))
            route = []
            while not routing.IsEnd(idx):
                route.append(inst.customers[manager.IndexToNode(idx)].number)
                idx = sol.Value(routing.NextVar(idx))
            if route:
                routes.append(route)
    return routes, time.perf_counter() - start


PEERS = {"vroom": solve_vroom, "ortools": solve_ortools}
