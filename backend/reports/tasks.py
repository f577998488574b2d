"""Background jobs of the reports app."""
from celery import shared_task

from backend.reports.services import report_figures_refresh


@shared_task(name="reports.refresh_figures")
def refresh_figures_task() -> int:
    """The nightly job: store the figures of the months, quarters and years that contain
    yesterday and of the ones before them, for every branch and the whole district.
    Idempotent: each period's row is replaced, so a retry does no harm. Returns the number
    of rows stored."""
    return len(report_figures_refresh())
