from django.urls import path

from backend.readers import apis_plans

urlpatterns = [
    path("standing-plans/", apis_plans.StandingPlanListApi.as_view(), name="standing-plans"),
    path("standing-plans/<int:pk>/", apis_plans.StandingPlanDetailApi.as_view(),
         name="standing-plan-detail"),
    path("standing-plans/<int:pk>/pauses/", apis_plans.StandingPlanPauseAddApi.as_view(),
         name="standing-plan-pauses"),
    path("standing-plans/<int:pk>/pauses/<int:pause_id>/",
         apis_plans.StandingPlanPauseDeleteApi.as_view(), name="standing-plan-pause-detail"),
    path("standing-plans/<int:pk>/occurrences/", apis_plans.StandingPlanOccurrencesApi.as_view(),
         name="standing-plan-occurrences"),
]
