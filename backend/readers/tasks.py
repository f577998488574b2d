"""Background jobs of the readers app."""
from celery import shared_task
from django.conf import settings

from backend.readers import anonymize, geocoding
from backend.readers.geocoder import GeocoderUnavailable
from backend.readers.models import FamilyCard, GeocodeStatus, Reader


@shared_task(name="readers.anonymize_closed")
def anonymize_closed_task(years: int | None = None) -> dict:
    """The monthly job: anonymize cards closed more than READER_RETENTION_YEARS ago.

    Idempotent: anonymized cards are skipped, so a retry does no harm.
    """
    return anonymize.anonymize_closed(years=years or settings.READER_RETENTION_YEARS)


# Nominatim's usage policy: about one request a second (a worker keeps to it).
GEOCODE_RATE = f"{max(1, round(settings.GEOCODER_REQUESTS_PER_SECOND * 60))}/m"


def _geocode(task, card: geocoding.Card | None) -> str:
    """Look the card up. While the geocoder is down the card says so and a worker tries again
    GEOCODER_RETRIES times, waiting GEOCODER_RETRY_BACKOFF seconds, then twice as long each
    time; `manage.py geocode_readers` fills what is still missing.

    Without a worker (eager: the job runs inside the request that saved the card) the
    geocoder gets GEOCODER_INLINE_TIMEOUT seconds and one try: retrying there would hold the
    librarian's save for minutes. The card says the geocoder was not reached, and
    `geocode_readers` (or the next change of the address) fills it."""
    if card is None:
        return "gone"
    eager = bool(task.request.is_eager)
    inline = min(settings.GEOCODER_INLINE_TIMEOUT, settings.GEOCODER_TIMEOUT)
    try:
        return geocoding.reader_geocode(reader=card, timeout=inline if eager else None)
    except GeocoderUnavailable as exc:
        if eager or task.request.retries >= settings.GEOCODER_RETRIES:
            return GeocodeStatus.UNAVAILABLE
        countdown = settings.GEOCODER_RETRY_BACKOFF * 2 ** task.request.retries
        raise task.retry(exc=exc, max_retries=settings.GEOCODER_RETRIES,
                         countdown=countdown) from exc


@shared_task(bind=True, name="readers.geocode", rate_limit=GEOCODE_RATE)
def reader_geocode_task(self, reader_id: int) -> str:
    """Find the coordinates of a saved reader card (see _geocode)."""
    return _geocode(self, Reader.objects.filter(pk=reader_id).first())


@shared_task(bind=True, name="readers.geocode_family", rate_limit=GEOCODE_RATE)
def family_card_geocode_task(self, family_id: int) -> str:
    """Find the coordinates of a saved family card, where its members are visited."""
    return _geocode(self, FamilyCard.objects.filter(pk=family_id).first())
