from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "backend.plans"
    label = "plans"
    verbose_name = _("standing plans")

    def ready(self) -> None:
        from backend.orders.desk import plan_visits_provider_add
        from backend.orders.messages import first_word_add
        from backend.plans.orders import holiday_move_told
        from backend.plans.selectors import desk_plan_visits
        from backend.plans.texts import standing_plan_text
        from backend.readers.history_fields import history_field_add

        # A plan's changes are kept in its card's history: shown there in words.
        history_field_add("standing_plan", label=_("standing plan"), show=standing_plan_text)
        # A visit moved off a public holiday: the reader's first message says so.
        first_word_add(holiday_move_told)
        # The phone desk shows a plan's next visits, a moved one with its reason.
        plan_visits_provider_add(desk_plan_visits)
