"""Route solver for home delivery of books (plain Python, no Django).

Public API::

    from backend.routing.solver import Problem, Profile, Location, Stop, Vehicle, solve, replan

See ``model`` for the data classes and units (seconds, items), ``solve`` for the entry point,
``replan`` for re-planning during the day, ``bench`` for the Solomon benchmark.
"""

from .model import (
    Location,
    Objective,
    Problem,
    Profile,
    Progress,
    Reason,
    Route,
    Solution,
    Stop,
    Unassigned,
    Vehicle,
    Visit,
)
from .solve import solve

__all__ = [
    "Location",
    "Objective",
    "Problem",
    "Profile",
    "Progress",
    "Reason",
    "Route",
    "Solution",
    "Stop",
    "Unassigned",
    "Vehicle",
    "Visit",
    "solve",
]
