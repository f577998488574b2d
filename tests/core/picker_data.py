"""What a browser posts for a recurrence picker (backend/core/recurrence_picker.py)."""


def picker_post(name: str, *, mode: str = "weekly", interval: str = "1", weekdays=(),
                positions=(), nth_weekdays=(), monthdays=(), end: str = "never",
                until: str = "", count: str = "", advanced: str = "") -> dict:
    return {
        f"{name}_mode": mode, f"{name}_interval": interval,
        f"{name}_weekdays": list(weekdays), f"{name}_positions": list(positions),
        f"{name}_nth_weekdays": list(nth_weekdays), f"{name}_monthdays": list(monthdays),
        f"{name}_end": end, f"{name}_until": until, f"{name}_count": count,
        f"{name}_advanced": advanced,
    }
