from django.urls import path

from backend.readers import apis

urlpatterns = [
    path("readers/", apis.ReaderListApi.as_view(), name="readers"),
    path("readers/<int:pk>/", apis.ReaderDetailApi.as_view(), name="reader-detail"),
    path("readers/<int:pk>/geocode/choose/", apis.ReaderGeocodeChooseApi.as_view(),
         name="reader-geocode-choose"),
    path("readers/<int:pk>/history/", apis.ReaderHistoryApi.as_view(), name="reader-history"),
    path("card-access/", apis.CardAccessListApi.as_view(), name="card-access"),
    path("family-cards/", apis.FamilyCardListApi.as_view(), name="family-cards"),
    path("family-cards/<int:pk>/", apis.FamilyCardDetailApi.as_view(), name="family-card-detail"),
    path(
        "family-cards/<int:pk>/history/",
        apis.FamilyCardHistoryApi.as_view(),
        name="family-card-history",
    ),
]
