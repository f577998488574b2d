"""Send the messages waiting in the outbox (for a setup without a Celery worker)."""
import time

from django.core.management.base import BaseCommand

from backend.notifications.services import messages_send_due


class Command(BaseCommand):
    help = "Send queued messages whose time has come; --loop keeps going every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS")

    def handle(self, *args, **options):
        while True:
            count = messages_send_due()
            self.stdout.write(f"{count} message(s) processed")
            if not options["loop"]:
                break
            time.sleep(options["loop"])
