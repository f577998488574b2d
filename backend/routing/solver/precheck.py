"""Cheap per-stop feasibility check: can any vehicle serve the stop *alone*?

The check runs in the same integer time model as the engine (see ``ints``), so a stop accepted
here is really insertable into an empty route of at least one vehicle, and a stop rejected here
gets a precise reason instead of the generic ``not_routed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ints import IntModel
from .model import Problem, Reason, Stop, Vehicle


def compatible(stop: Stop, vehicle: Vehicle) -> bool:
    """Language and pin compatibility (the constraints PyVRP cannot express directly)."""
    if stop.vehicle_id is not None and stop.vehicle_id != vehicle.id:
        return False
    return not stop.languages or bool(stop.languages & vehicle.languages)


def fits_load(stop: Stop, vehicle: Vehicle) -> bool:
    if vehicle.max_stops is not None and vehicle.max_stops < 1:
        return False
    return vehicle.initial_load + max(stop.delivery, stop.pickup) <= vehicle.capacity


def reachable(problem: Problem, stop: Stop, vehicle: Vehicle, im: IntModel) -> bool:
    return (
        im.travel(vehicle, vehicle.start_location, stop.location) is not None
        and im.travel(vehicle, stop.location, vehicle.end_location) is not None
    )


def fits_time(stop: Stop, vehicle: Vehicle, im: IntModel) -> bool:
    """start -> stop -> end within the shift and the stop window, in integer time."""
    out = im.travel(vehicle, vehicle.start_location, stop.location)
    back = im.travel(vehicle, stop.location, vehicle.end_location)
    if out is None or back is None:
        return False
    early, late = im.window(stop)
    shift_start, shift_end = im.shift(vehicle)
    begin = max(shift_start + out, early)
    return begin <= late and begin + im.service(stop) + back <= shift_end


@dataclass(frozen=True)
class PreCheck:
    """``candidates[stop_id]`` - vehicles able to serve the stop alone (non-empty), and
    ``reasons[stop_id]`` for stops no vehicle can serve."""

    candidates: dict[str, tuple[str, ...]]
    reasons: dict[str, Reason]


def precheck(problem: Problem, im: IntModel) -> PreCheck:
    candidates: dict[str, tuple[str, ...]] = {}
    reasons: dict[str, Reason] = {}
    ids = {v.id for v in problem.vehicles}
    for stop in problem.stops:
        if stop.vehicle_id is not None and stop.vehicle_id not in ids:
            reasons[stop.id] = Reason.PINNED_VEHICLE_UNAVAILABLE
            continue
        vs = [v for v in problem.vehicles if compatible(stop, v)]
        if not vs:
            reasons[stop.id] = Reason.NO_LANGUAGE
            continue
        vs = [v for v in vs if fits_load(stop, v)]
        if not vs:
            reasons[stop.id] = Reason.TOO_HEAVY
            continue
        vs = [v for v in vs if reachable(problem, stop, v, im)]
        if not vs:
            reasons[stop.id] = Reason.UNREACHABLE
            continue
        vs = [v for v in vs if fits_time(stop, v, im)]
        if not vs:
            reasons[stop.id] = Reason.NO_VEHICLE_IN_WINDOW
            continue
        candidates[stop.id] = tuple(v.id for v in vs)
    return PreCheck(candidates, reasons)
