"""The phone desk pages, included at /desk/."""
from django.urls import path

from backend.orders import views

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
]
