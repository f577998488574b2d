from django.urls import path

from backend.circulation import apis

urlpatterns = [
    path("loans/", apis.LoanListApi.as_view(), name="loans"),
    path("loans/<int:pk>/renew/", apis.LoanRenewApi.as_view(), name="loan-renew"),
    path("returns/", apis.ReturnApi.as_view(), name="returns"),
    path("readers/<int:pk>/reading-history/", apis.ReaderReadingHistoryApi.as_view(),
         name="reader-reading-history"),
    path("readers/<int:pk>/due-back/", apis.ReaderDueBackApi.as_view(), name="reader-due-back"),
    path("family-cards/<int:pk>/reading-history/", apis.FamilyReadingHistoryApi.as_view(),
         name="family-reading-history"),
]
