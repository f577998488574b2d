"""Send the messages waiting in the outbox (for a setup without a Celery worker)."""
import time

from django.core.management.base import BaseCommand

from backend.notifications.sending import messages_sweep


class Command(BaseCommand):
    help = ("Send queued messages whose time has come, after checking messages a dead "
            "worker left in sending; --loop keeps going every N seconds.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS")

    def handle(self, *args, **options):
        while True:
            figures = messages_sweep()
            self.stdout.write(
                f"{figures['sent']} message(s) processed, {figures['recovered']} recovered "
                f"from a dead worker, {figures['expired']} expired")
            if not options["loop"]:
                break
            time.sleep(options["loop"])
