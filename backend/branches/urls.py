from django.urls import path

from backend.branches import apis

urlpatterns = [path("branches/", apis.BranchListApi.as_view(), name="branches")]
