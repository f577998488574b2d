from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "backend.plans"
    label = "plans"
    verbose_name = _("standing plans")
