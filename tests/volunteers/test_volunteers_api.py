"""Staff API for volunteers: profiles, shifts, absences, availability, and who may do what."""
import datetime

import pytest

from backend.accounts.models import User
from backend.volunteers.models import Absence, Shift, Volunteer
from tests.factories import BranchFactory
from tests.volunteers.factories import (
    AbsenceFactory,
    ShiftFactory,
    VolunteerFactory,
    VolunteerUserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.volunteers.urls")]

URL = "/api/v1/volunteers/"
MON = datetime.date(2026, 11, 30)


@pytest.fixture
def coordinator(api):
    return api.as_role("coordinator")


def new_volunteer(branch, **extra) -> dict:
    return {
        "username": "dana.m",
        "first_name": "Дана",
        "last_name": "Мұратова",
        "phone": "8 (771) 270-71-56",
        "branch": branch.pk,
        "transport": "bicycle",
        "capacity": 12,
        "max_stops": 9,
        "languages": ["kk", "ru"],
        **extra,
    }


def test_coordinator_creates_a_volunteer_with_a_new_account(coordinator):
    branch = BranchFactory()
    response = coordinator.post(URL, new_volunteer(branch), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["username"] == "dana.m"
    assert body["user"]["full_name"] == "Дана Мұратова"
    assert body["phone"] == "+77712707156"
    assert body["branch"] == branch.pk
    assert body["transport"] == "bicycle"
    assert body["speed_kmh"] == 12.0  # the usual bicycle speed
    assert body["languages"] == ["kk", "ru"]
    assert body["home"] == {"address": "", "lat": None, "lon": None}
    user = User.objects.get(username="dana.m")
    assert user.groups.filter(name="volunteer").exists()
    assert not user.has_usable_password()
    assert user.branch == branch


def test_an_existing_volunteer_account_is_linked(coordinator):
    branch = BranchFactory()
    account = VolunteerUserFactory(role="volunteer", branch=branch)
    response = coordinator.post(URL, {"user": account.pk, "transport": "car"}, format="json")
    assert response.status_code == 201, response.json()
    assert Volunteer.objects.get(user=account).branch == branch


def test_a_staff_account_cannot_become_a_volunteer_profile(coordinator, make_user):
    librarian = make_user("librarian")
    response = coordinator.post(URL, {"user": librarian.pk, "branch": BranchFactory().pk},
                                format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "volunteer.user_not_volunteer"
    assert "user" in response.json()["fields"]


def test_one_profile_per_account(coordinator):
    volunteer = VolunteerFactory()
    response = coordinator.post(URL, {"user": volunteer.user.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "volunteer.exists"


def test_a_phone_in_use_is_refused_in_any_form(coordinator):
    VolunteerUserFactory(phone="+77712707156")
    response = coordinator.post(URL, new_volunteer(BranchFactory(), phone="87712707156"),
                                format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "volunteer.phone_taken"
    assert "phone" in response.json()["fields"]
    assert not User.objects.filter(username="dana.m").exists()


def test_bad_input_names_the_fields(coordinator):
    response = coordinator.post(
        URL, new_volunteer(BranchFactory(), phone="12", capacity=0, transport="horse",
                           languages=["de"]),
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"phone", "capacity", "transport", "languages"} <= set(fields)


def test_starting_at_home_needs_home_coordinates(coordinator):
    response = coordinator.post(URL, new_volunteer(BranchFactory(), starts_at="home"),
                                format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "volunteer.home_needs_coordinates"
    assert "starts_at" in body["fields"] and "lat" in body["fields"]["home"]
    assert not Volunteer.objects.exists()

    response = coordinator.post(
        URL, new_volunteer(BranchFactory(), starts_at="home",
                           home={"address": "ул. Абая, 5", "lat": 54.78, "lon": 69.11}),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["home"] == {"address": "ул. Абая, 5", "lat": 54.78, "lon": 69.11}


def test_coordinator_updates_a_profile_and_the_account(coordinator):
    volunteer = VolunteerFactory(transport="foot")
    response = coordinator.patch(f"{URL}{volunteer.pk}/",
                                 {"transport": "car", "speed_kmh": 40, "last_name": "Волкова",
                                  "phone": "+7 701 111 22 33"},
                                 format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["transport"] == "car" and body["speed_kmh"] == 40
    assert body["phone"] == "+77011112233"
    volunteer.user.refresh_from_db()
    assert volunteer.user.last_name == "Волкова"


def test_removing_the_home_of_someone_who_starts_there_is_refused(coordinator):
    volunteer = VolunteerFactory(starts_at="home", home_lat=54.7, home_lon=69.1)
    response = coordinator.patch(f"{URL}{volunteer.pk}/", {"home": {"lat": None, "lon": None}},
                                 format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "volunteer.home_needs_coordinates"
    volunteer.refresh_from_db()
    assert volunteer.home_lat == 54.7


def test_list_filters(coordinator):
    bsh, sok = BranchFactory(), BranchFactory()
    dana = VolunteerFactory(branch=bsh, languages=["kk"], transport="foot",
                            user__first_name="Дана", user__last_name="Мұратова",
                            user__phone="+77712707156")
    VolunteerFactory(branch=bsh, languages=["ru"], transport="car")
    VolunteerFactory(branch=sok, languages=["kk", "ru"], active=False)

    def ids(**params):
        response = coordinator.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert len(ids(branch=bsh.pk)) == 2
    assert ids(language="kk", active=True) == {dana.pk}
    assert len(ids(language="kk")) == 2
    assert ids(transport="foot", branch=bsh.pk) == {dana.pk}
    assert ids(q="МҰРАТОВА") == {dana.pk}
    assert ids(q="8 771 270 71 56") == {dana.pk}
    assert ids(q="2707156") == {dana.pk}


def test_operators_read_without_the_home_librarians_with_it(api):
    volunteer = VolunteerFactory(starts_at="home", home_lat=54.7, home_lon=69.1,
                                 home_address="ул. Абая, 5")
    operator = api.as_role("operator").get(f"{URL}{volunteer.pk}/")
    assert operator.status_code == 200
    assert operator.json()["home"] is None
    librarian = api.as_role("librarian").get(f"{URL}{volunteer.pk}/")
    assert librarian.json()["home"]["address"] == "ул. Абая, 5"


@pytest.mark.parametrize("role", ["librarian", "operator"])
def test_readers_of_the_roster_cannot_write(api, role):
    client = api.as_role(role)
    volunteer = VolunteerFactory()
    assert client.get(URL).status_code == 200
    assert client.post(URL, new_volunteer(BranchFactory()), format="json").status_code == 403
    assert client.patch(f"{URL}{volunteer.pk}/", {"capacity": 3},
                        format="json").status_code == 403
    assert client.post(f"{URL}{volunteer.pk}/shifts/",
                       {"rrule": "FREQ=DAILY", "start_time": "09:00", "end_time": "12:00"},
                       format="json").status_code == 403


def test_volunteers_get_403_on_the_staff_api(api):
    volunteer = VolunteerFactory()
    client = api.as_user(volunteer.user)
    for url in (URL, f"{URL}{volunteer.pk}/", f"{URL}{volunteer.pk}/availability/"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_shifts_added_listed_and_removed(coordinator):
    volunteer = VolunteerFactory()
    url = f"{URL}{volunteer.pk}/shifts/"
    response = coordinator.post(url, {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE,FR",
                                      "starts_on": "2026-11-30", "start_time": "09:00",
                                      "end_time": "13:00"}, format="json")
    assert response.status_code == 201, response.json()
    shift_id = response.json()["id"]
    assert response.json()["start_time"] == "09:00"
    listed = coordinator.get(url).json()
    assert [s["id"] for s in listed] == [shift_id]
    assert coordinator.delete(f"{url}{shift_id}/").status_code == 204
    assert not Shift.objects.exists()


def test_a_bad_shift_rule_is_refused_naming_rrule(coordinator):
    volunteer = VolunteerFactory()
    response = coordinator.post(f"{URL}{volunteer.pk}/shifts/",
                                {"rrule": "FREQ=MINUTELY", "start_time": "09:00",
                                 "end_time": "13:00"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "shift.invalid_rrule"
    assert "rrule" in response.json()["fields"]


def test_a_shift_must_end_after_it_starts(coordinator):
    volunteer = VolunteerFactory()
    response = coordinator.post(f"{URL}{volunteer.pk}/shifts/",
                                {"rrule": "FREQ=DAILY", "start_time": "13:00",
                                 "end_time": "09:00"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "shift.bad_times"
    assert "end_time" in response.json()["fields"]


def test_a_shift_of_another_volunteer_is_not_found(coordinator):
    shift = ShiftFactory()
    other = VolunteerFactory()
    response = coordinator.delete(f"{URL}{other.pk}/shifts/{shift.pk}/")
    assert response.status_code == 404
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_absences_added_overlap_refused_and_removed(coordinator):
    volunteer = VolunteerFactory()
    url = f"{URL}{volunteer.pk}/absences/"
    first = coordinator.post(url, {"starts_on": "2026-12-07", "ends_on": "2026-12-09",
                                   "reason": "Болеет"}, format="json")
    assert first.status_code == 201, first.json()
    clash = coordinator.post(url, {"starts_on": "2026-12-09", "ends_on": "2026-12-12"},
                             format="json")
    assert clash.status_code == 409
    assert clash.json()["code"] == "absence.overlap"
    backwards = coordinator.post(url, {"starts_on": "2026-12-20", "ends_on": "2026-12-19"},
                                 format="json")
    assert backwards.status_code == 400
    assert backwards.json()["code"] == "absence.bad_dates"
    assert "ends_on" in backwards.json()["fields"]
    assert len(coordinator.get(url).json()) == 1
    assert coordinator.delete(f"{url}{first.json()['id']}/").status_code == 204
    assert not Absence.objects.exists()


def test_availability_lists_each_day_with_windows(api):
    volunteer = VolunteerFactory()
    ShiftFactory(volunteer=volunteer, rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR", starts_on=MON,
                 start_time=datetime.time(9), end_time=datetime.time(13))
    ShiftFactory(volunteer=volunteer, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON,
                 start_time=datetime.time(12), end_time=datetime.time(16))
    absence = AbsenceFactory(volunteer=volunteer, starts_on=datetime.date(2026, 12, 4),
                             ends_on=datetime.date(2026, 12, 4))
    response = api.as_role("operator").get(f"{URL}{volunteer.pk}/availability/",
                                           {"from": "2026-11-30", "to": "2026-12-06"})
    assert response.status_code == 200, response.json()
    days = {row["date"]: row for row in response.json()}
    assert len(days) == 7
    assert days["2026-11-30"]["windows"] == [{"start": "09:00", "end": "16:00"}]
    assert days["2026-12-01"]["windows"] == []
    assert days["2026-12-02"]["windows"] == [{"start": "09:00", "end": "13:00"}]
    assert days["2026-12-04"]["windows"] == [] and days["2026-12-04"]["absence"] == absence.pk


def test_availability_range_is_checked(coordinator):
    volunteer = VolunteerFactory()
    url = f"{URL}{volunteer.pk}/availability/"
    backwards = coordinator.get(url, {"from": "2026-12-10", "to": "2026-12-01"})
    assert backwards.status_code == 400 and "to" in backwards.json()["fields"]
    too_long = coordinator.get(url, {"from": "2026-01-01", "to": "2026-12-31"})
    assert too_long.status_code == 400


def test_list_takes_a_fixed_number_of_queries(coordinator, django_assert_max_num_queries):
    for _ in range(12):
        volunteer = VolunteerFactory()
        ShiftFactory(volunteer=volunteer)
        AbsenceFactory(volunteer=volunteer)
    # user roles, count, volunteers, shifts, absences (and the session's own)
    with django_assert_max_num_queries(6):
        response = coordinator.get(URL)
    assert response.json()["count"] == 12


def test_the_schema_documents_the_volunteer_api(coordinator):
    response = coordinator.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/volunteers/", "/api/v1/volunteers/{id}/", "/api/v1/volunteers/{id}/shifts/",
        "/api/v1/volunteers/{id}/shifts/{shift_id}/", "/api/v1/volunteers/{id}/absences/",
        "/api/v1/volunteers/{id}/absences/{absence_id}/",
        "/api/v1/volunteers/{id}/availability/",
    } <= set(paths)


def test_a_volunteer_id_no_database_can_hold_is_404_not_500(coordinator):
    shift, absence = ShiftFactory(), AbsenceFactory()
    for url in (f"{URL}{10**30}/shifts/{shift.pk}/", f"{URL}{10**30}/absences/{absence.pk}/"):
        response = coordinator.delete(url)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Shift.objects.filter(pk=shift.pk).exists()
    assert Absence.objects.filter(pk=absence.pk).exists()


@pytest.mark.parametrize("name", ["\u200b\u200d", "Мұратова\u202e", "\u2066Дана\u2069"])
def test_a_volunteer_name_that_hides_or_reorders_text_is_refused(coordinator, name):
    branch = BranchFactory()
    created = coordinator.post(URL, new_volunteer(branch, last_name=name), format="json")
    assert created.status_code == 400
    assert created.json()["code"] == "text.hidden_characters"
    assert set(created.json()["fields"]) == {"last_name"}
    volunteer = VolunteerFactory()
    changed = coordinator.patch(f"{URL}{volunteer.pk}/", {"first_name": name}, format="json")
    assert changed.status_code == 400
    assert set(changed.json()["fields"]) == {"first_name"}
