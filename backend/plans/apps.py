from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "backend.plans"
    label = "plans"
    verbose_name = _("standing plans")

    def ready(self) -> None:
        from backend.plans.texts import standing_plan_text
        from backend.readers.history_fields import history_field_add

        # A plan's changes are kept in its card's history: shown there in words.
        history_field_add("standing_plan", label=_("standing plan"), show=standing_plan_text)
