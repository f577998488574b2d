from django.urls import path

from backend.routing import apis

urlpatterns = [
    path("plans/", apis.PlanListApi.as_view(), name="plans"),
    path("plans/<int:pk>/", apis.PlanDetailApi.as_view(), name="plan-detail"),
    path("plans/<int:pk>/progress/", apis.PlanProgressApi.as_view(), name="plan-progress"),
    path("plans/<int:pk>/solve/", apis.PlanSolveApi.as_view(), name="plan-solve"),
    path("plans/<int:pk>/publish/", apis.PlanPublishApi.as_view(), name="plan-publish"),
    path("plans/<int:pk>/revision/", apis.PlanRevisionApi.as_view(), name="plan-revision"),
    path("plans/<int:pk>/revision/publish/", apis.PlanRevisionPublishApi.as_view(),
         name="plan-revision-publish"),
    path("plans/<int:pk>/revision/discard/", apis.PlanRevisionDiscardApi.as_view(),
         name="plan-revision-discard"),
    path("plans/<int:pk>/live/", apis.PlanLiveApi.as_view(), name="plan-live"),
    path("stops/<int:pk>/plan-again/", apis.StopPlanAgainApi.as_view(), name="stop-plan-again"),
    path("stops/<int:pk>/pin/", apis.StopPinApi.as_view(), name="stop-pin"),
    path("stops/<int:pk>/move/", apis.StopMoveApi.as_view(), name="stop-move"),
    path("routes/<int:pk>/", apis.RouteDetailApi.as_view(), name="route-detail"),
    path("readers/<int:pk>/concerns/", apis.ReaderConcernListApi.as_view(),
         name="reader-concerns"),
    path("concerns/<int:pk>/close/", apis.ConcernCloseApi.as_view(), name="concern-close"),
    path("routes/<int:pk>/resequence/", apis.RouteResequenceApi.as_view(),
         name="route-resequence"),
]
