"""The admin for volunteers saves through the services; refusals become form errors."""
import pytest
from django.urls import reverse

from backend.volunteers.models import Absence, Shift, Volunteer
from tests.core.picker_data import picker_post
from tests.factories import BranchFactory, UserFactory
from tests.volunteers.factories import ShiftFactory, VolunteerFactory, VolunteerUserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:volunteers_volunteer_add")


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def inlines(shifts=(), absences=(), initial_shifts=0) -> dict:
    data = {
        "shifts-TOTAL_FORMS": str(len(shifts)), "shifts-INITIAL_FORMS": str(initial_shifts),
        "shifts-MIN_NUM_FORMS": "0", "shifts-MAX_NUM_FORMS": "1000",
        "absences-TOTAL_FORMS": str(len(absences)), "absences-INITIAL_FORMS": "0",
        "absences-MIN_NUM_FORMS": "0", "absences-MAX_NUM_FORMS": "1000",
    }
    for prefix, rows in (("shifts", shifts), ("absences", absences)):
        for index, row in enumerate(rows):
            data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def profile(branch, **extra) -> dict:
    return {"branch": branch.pk, "transport": "foot", "capacity": "10", "max_stops": "8",
            "starts_at": "branch", "ends_at": "branch", "languages": ["kk"], "active": "on",
            "home_address": "", "home_lat": "", "home_lon": "", "speed_kmh": "", "note": "",
            **extra}


def test_add_a_volunteer_with_a_new_account_and_a_shift(admin_client_):
    branch = BranchFactory()
    shift = {**picker_post("rrule", weekdays=["MO", "WE"]), "starts_on": "2026-11-30",
             "ends_on": "", "start_time": "09:00", "end_time": "13:00"}
    absence = {"starts_on": "2026-12-07", "ends_on": "2026-12-08", "reason": "Болеет"}
    data = {**profile(branch), "username": "new.vol", "first_name": "Айбек",
            "last_name": "Тұрсынов", "phone": "8 747 824 80 94",
            **inlines([shift], [absence])}
    response = admin_client_.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    volunteer = Volunteer.objects.get(user__username="new.vol")
    assert str(volunteer.user.phone) == "+77478248094"
    assert volunteer.shifts.get().rrule == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert Absence.objects.filter(volunteer=volunteer).count() == 1


def test_a_bad_shift_rule_comes_back_as_a_form_error(admin_client_):
    account = VolunteerUserFactory(role="volunteer")
    shift = {**picker_post("rrule", mode="advanced", advanced="FREQ=HOURLY"),
             "starts_on": "2026-11-30", "ends_on": "", "start_time": "09:00",
             "end_time": "13:00"}
    data = {**profile(BranchFactory()), "user": account.pk, **inlines([shift])}
    response = admin_client_.post(ADD, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]["rrule"]
    assert any("HOURLY" in str(e) for e in errors)
    assert not Volunteer.objects.exists()
    assert not Shift.objects.exists()


def test_home_start_without_coordinates_is_a_form_error(admin_client_):
    volunteer = VolunteerFactory()
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    data = {**profile(volunteer.branch, starts_at="home"), "first_name": "Дана",
            "last_name": volunteer.user.last_name, "phone": str(volunteer.user.phone),
            **inlines()}
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors  # the model's own check: home coordinates are needed
    volunteer.refresh_from_db()
    assert volunteer.starts_at == "branch"


def test_delete_a_shift_inline(admin_client_):
    shift = ShiftFactory()
    volunteer = shift.volunteer
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    row = {"id": str(shift.pk), "volunteer": str(volunteer.pk),
           **picker_post("rrule", mode="advanced", advanced=shift.rrule),
           "starts_on": shift.starts_on.isoformat(), "ends_on": "", "start_time": "09:00",
           "end_time": "13:00", "DELETE": "on"}
    data = {**profile(volunteer.branch), "first_name": volunteer.user.first_name,
            "last_name": volunteer.user.last_name, "phone": str(volunteer.user.phone),
            **inlines([row], initial_shifts=1)}
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    assert not Shift.objects.exists()


def test_changelist_search_by_name_and_phone(admin_client_):
    dana = VolunteerFactory(user__last_name="Мұратова", user__phone="+77712707156")
    VolunteerFactory(user__last_name="Волков")
    url = reverse("admin:volunteers_volunteer_changelist")
    for term in ("мұратова", "8 771 270 71 56"):
        response = admin_client_.get(url, {"q": term})
        assert response.status_code == 200
        assert [v.pk for v in response.context["cl"].result_list] == [dana.pk]


def test_add_and_change_pages_render(admin_client_):
    volunteer = VolunteerFactory()
    ShiftFactory(volunteer=volunteer)
    assert admin_client_.get(ADD).status_code == 200
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    response = admin_client_.get(url)
    assert response.status_code == 200
    assert "username" not in response.context["adminform"].form.fields


def test_a_shift_is_chosen_with_the_picker_and_shown_as_words(client):
    """A coordinator gives a volunteer a shift every second Tuesday and Thursday; the
    shift is stored as its rule and read back as a sentence, never as the rule."""
    from django.utils import translation

    client.force_login(UserFactory(role="coordinator", is_staff=True))
    volunteer = VolunteerFactory()
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    shift = {**picker_post("rrule", interval="2", weekdays=["TH", "TU"]),
             "starts_on": "2026-11-30", "ends_on": "", "start_time": "09:00",
             "end_time": "13:00"}
    data = {**profile(volunteer.branch), "first_name": volunteer.user.first_name,
            "last_name": volunteer.user.last_name, "phone": str(volunteer.user.phone),
            **inlines([shift])}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Shift.objects.get(volunteer=volunteer)
    assert saved.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"
    with translation.override("ru"):
        assert str(saved) == "Раз в 2 недели по вторникам и четвергам 09:00–13:00"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Раз в 2 недели по вторникам и четвергам" in page
    assert "FREQ=" not in page and "BYDAY" not in page
    assert 'value="TU" data-part="weekdays" checked' in page


def test_a_daily_shift_opens_as_every_weekday_and_saves_unchanged(admin_client_):
    shift = ShiftFactory(rrule="FREQ=DAILY")
    volunteer = shift.volunteer
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    page = admin_client_.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Каждый день" in page
    row = {"id": str(shift.pk), "volunteer": str(volunteer.pk),
           **picker_post("rrule", weekdays=["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
           "starts_on": shift.starts_on.isoformat(), "ends_on": "",
           "start_time": shift.start_time.strftime("%H:%M"),
           "end_time": shift.end_time.strftime("%H:%M")}
    data = {**profile(volunteer.branch), "first_name": volunteer.user.first_name,
            "last_name": volunteer.user.last_name, "phone": str(volunteer.user.phone),
            **inlines([row], initial_shifts=1)}
    assert admin_client_.post(url, data).status_code == 302
    shift.refresh_from_db()
    assert shift.rrule == "FREQ=DAILY"
