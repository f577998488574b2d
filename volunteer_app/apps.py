from django.apps import AppConfig


class VolunteerAppConfig(AppConfig):
    """The volunteers' installable web app at /app/, on the mobile API."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "volunteer_app"
