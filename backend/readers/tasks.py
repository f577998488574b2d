"""Background jobs of the readers app."""
from celery import shared_task
from django.conf import settings

from backend.readers import anonymize


@shared_task(name="readers.anonymize_closed")
def anonymize_closed_task(years: int | None = None) -> dict:
    """The monthly job: anonymize cards closed more than READER_RETENTION_YEARS ago.

    Idempotent: anonymized cards are skipped, so a retry does no harm.
    """
    return anonymize.anonymize_closed(years=years or settings.READER_RETENTION_YEARS)
