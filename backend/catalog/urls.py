from django.urls import path

from backend.catalog import apis

urlpatterns = [
    path("titles/", apis.TitleListApi.as_view(), name="titles"),
    path("titles/import/", apis.TitleImportApi.as_view(), name="titles-import"),
    path("titles/<int:pk>/", apis.TitleDetailApi.as_view(), name="title-detail"),
    path("items/", apis.ItemListApi.as_view(), name="items"),
    path("items/<int:pk>/", apis.ItemDetailApi.as_view(), name="item-detail"),
    path("items/<int:pk>/status/", apis.ItemStatusApi.as_view(), name="item-status"),
]
