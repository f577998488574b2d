"""The phone desk pages, included at /desk/."""
from django.urls import path

from backend.orders import views, views_inbox, views_newcard

app_name = "desk"

urlpatterns = [
    path("", views.DeskHomeView.as_view(), name="home"),
    path("search/", views.DeskSearchView.as_view(), name="search"),
    path("titles/", views.DeskTitleSearchView.as_view(), name="titles"),
    path("readers/<int:pk>/", views.ReaderCardView.as_view(), name="card"),
    path("readers/<int:pk>/order/", views.OrderTakeView.as_view(), name="order"),
    path("readers/<int:pk>/loans/<int:loan_id>/renew/", views.LoanRenewView.as_view(),
         name="renew"),
    path("readers/<int:pk>/orders/<int:order_id>/move/", views.VisitMoveView.as_view(),
         name="move"),
    path("new/", views_newcard.NewCardView.as_view(), name="new_card"),
    path("calls/", views_newcard.CallLogView.as_view(), name="call_log"),
    path("inbox/", views_inbox.InboxPageView.as_view(), name="inbox"),
    path("inbox/<int:pk>/done/", views_inbox.InboxDoneView.as_view(), name="inbox_done"),
    path("inbox/<int:pk>/call/", views_inbox.InboxCallBackView.as_view(), name="inbox_call"),
]
