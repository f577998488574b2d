"""Write tomorrow's visit reminders (the evening job, for a setup without Celery beat)."""
from django.core.management.base import BaseCommand

from backend.orders.messages import visit_reminders_send


class Command(BaseCommand):
    help = ("Remind every reader visited tomorrow, and tell them what is due back. "
            "Running it twice sends nothing new; outside messaging hours they wait.")

    def handle(self, *args, **options):
        count = visit_reminders_send()
        self.stdout.write(f"{count} reminder(s) written")
