from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReadersConfig(AppConfig):
    name = "backend.readers"
    label = "readers"
    verbose_name = _("Readers")

    def ready(self) -> None:
        # The outbox knows numbers, not cards: a number's STOP / START is put on the cards
        # that use it, and a calling number finds its card, through these.
        from backend.notifications import registry
        from backend.readers.selectors import reader_for_phone
        from backend.readers.services import reader_phone_opt_in, reader_phone_opt_out

        registry.phone_listeners_add(opt_out=reader_phone_opt_out, opt_in=reader_phone_opt_in)
        registry.phone_owner_set(reader_for_phone)
