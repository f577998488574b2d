from django.urls import path

from backend.plans import apis

urlpatterns = [
    path("standing-plans/", apis.StandingPlanListApi.as_view(), name="standing-plans"),
    path("standing-plans/<int:pk>/", apis.StandingPlanDetailApi.as_view(),
         name="standing-plan-detail"),
    path("standing-plans/<int:pk>/pauses/", apis.StandingPlanPauseAddApi.as_view(),
         name="standing-plan-pauses"),
    path("standing-plans/<int:pk>/pauses/<int:pause_id>/",
         apis.StandingPlanPauseDeleteApi.as_view(), name="standing-plan-pause-detail"),
    path("standing-plans/<int:pk>/occurrences/", apis.StandingPlanOccurrencesApi.as_view(),
         name="standing-plan-occurrences"),
]
