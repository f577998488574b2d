from django.urls import path

from backend.volunteers import apis

urlpatterns = [
    path("volunteers/", apis.VolunteerListApi.as_view(), name="volunteers"),
    path("volunteers/<int:pk>/", apis.VolunteerDetailApi.as_view(), name="volunteer-detail"),
    path("volunteers/<int:pk>/shifts/", apis.VolunteerShiftListApi.as_view(),
         name="volunteer-shifts"),
    path("volunteers/<int:pk>/shifts/<int:shift_id>/", apis.VolunteerShiftDeleteApi.as_view(),
         name="volunteer-shift-detail"),
    path("volunteers/<int:pk>/absences/", apis.VolunteerAbsenceListApi.as_view(),
         name="volunteer-absences"),
    path("volunteers/<int:pk>/absences/<int:absence_id>/",
         apis.VolunteerAbsenceDeleteApi.as_view(), name="volunteer-absence-detail"),
    path("volunteers/<int:pk>/availability/", apis.VolunteerAvailabilityApi.as_view(),
         name="volunteer-availability"),
]
