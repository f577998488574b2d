from django.urls import path

from backend.orders import apis

urlpatterns = [
    path("orders/", apis.OrderListApi.as_view(), name="orders"),
    path("orders/<int:pk>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:pk>/events/", apis.OrderEventsApi.as_view(), name="order-events"),
    path("orders/<int:pk>/start-picking/", apis.OrderStartPickingApi.as_view(),
         name="order-start-picking"),
    path("orders/<int:pk>/ready/", apis.OrderReadyApi.as_view(), name="order-ready"),
    path("orders/<int:pk>/deliver/", apis.OrderDeliverApi.as_view(), name="order-deliver"),
    path("orders/<int:pk>/fail/", apis.OrderFailApi.as_view(), name="order-fail"),
    path("orders/<int:pk>/requeue/", apis.OrderRequeueApi.as_view(), name="order-requeue"),
    path("orders/<int:pk>/cancel/", apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("order-lines/<int:pk>/assign/", apis.LineAssignApi.as_view(), name="line-assign"),
    path("order-lines/<int:pk>/unassign/", apis.LineUnassignApi.as_view(), name="line-unassign"),
    path("order-lines/<int:pk>/cancel/", apis.LineCancelApi.as_view(), name="line-cancel"),
    path("order-lines/<int:pk>/suggestions/", apis.LineSuggestionsApi.as_view(),
         name="line-suggestions"),
    path("pick-lists/", apis.PickListApi.as_view(), name="pick-lists"),
    path("desk/lookup/", apis.DeskLookupApi.as_view(), name="desk-lookup"),
    path("desk/calls/", apis.CallListApi.as_view(), name="desk-calls"),
]
