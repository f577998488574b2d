"""Celery application. Tasks run eagerly in-process unless a broker is configured."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.local")

app = Celery("kniga03")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
