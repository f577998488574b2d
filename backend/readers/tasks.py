"""Background jobs of the readers app."""
from celery import shared_task
from django.conf import settings

from backend.readers import anonymize, geocoding
from backend.readers.geocoder import GeocoderUnavailable
from backend.readers.models import GeocodeStatus, Reader


@shared_task(name="readers.anonymize_closed")
def anonymize_closed_task(years: int | None = None) -> dict:
    """The monthly job: anonymize cards closed more than READER_RETENTION_YEARS ago.

    Idempotent: anonymized cards are skipped, so a retry does no harm.
    """
    return anonymize.anonymize_closed(years=years or settings.READER_RETENTION_YEARS)


# Nominatim's usage policy: about one request a second (a worker keeps to it).
GEOCODE_RATE = f"{max(1, round(settings.GEOCODER_REQUESTS_PER_SECOND * 60))}/m"


@shared_task(bind=True, name="readers.geocode", rate_limit=GEOCODE_RATE)
def reader_geocode_task(self, reader_id: int) -> str:
    """Find the coordinates of a saved card. While the geocoder is down the card says so and
    the job tries again GEOCODER_RETRIES times, waiting GEOCODER_RETRY_BACKOFF seconds, then
    twice as long each time; `manage.py geocode_readers` fills what is still missing."""
    reader = Reader.objects.filter(pk=reader_id).first()
    if reader is None:
        return "gone"
    try:
        return geocoding.reader_geocode(reader=reader)
    except GeocoderUnavailable as exc:
        if self.request.retries >= settings.GEOCODER_RETRIES:
            return GeocodeStatus.UNAVAILABLE
        countdown = settings.GEOCODER_RETRY_BACKOFF * 2 ** self.request.retries
        if self.request.is_eager:
            # Run in-process (no worker): Celery tries again at once if given the Retry.
            return self.retry(exc=exc, max_retries=settings.GEOCODER_RETRIES,
                              countdown=countdown, throw=False)
        raise self.retry(exc=exc, max_retries=settings.GEOCODER_RETRIES,
                         countdown=countdown) from exc
