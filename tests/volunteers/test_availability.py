"""When a volunteer works: shifts from RRULEs, absences, merging, and the branch's roster."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.volunteers import selectors, services
from backend.volunteers.models import Volunteer
from tests.factories import BranchFactory
from tests.volunteers.factories import AbsenceFactory, ShiftFactory, VolunteerFactory

pytestmark = pytest.mark.django_db

T = datetime.time
MON = datetime.date(2026, 11, 30)  # a Monday
WEEK = [MON + datetime.timedelta(days=i) for i in range(7)]


def fresh(volunteer: Volunteer) -> Volunteer:
    return selectors.volunteer_queryset().get(pk=volunteer.pk)


def test_every_monday_wednesday_friday_gives_those_days_only():
    shift = ShiftFactory(rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR", starts_on=MON,
                         start_time=T(9), end_time=T(13))
    volunteer = fresh(shift.volunteer)
    working = [day for day in WEEK + [d + datetime.timedelta(days=7) for d in WEEK]
               if selectors.volunteer_windows(volunteer, day)]
    assert [d.strftime("%a %d") for d in working] == [
        "Mon 30", "Wed 02", "Fri 04", "Mon 07", "Wed 09", "Fri 11"]
    assert selectors.volunteer_windows(volunteer, MON) == [(T(9), T(13))]


def test_nothing_before_the_shift_starts_and_nothing_after_it_ends():
    shift = ShiftFactory(rrule="FREQ=DAILY", starts_on=WEEK[2], ends_on=WEEK[4])
    volunteer = fresh(shift.volunteer)
    assert [bool(selectors.volunteer_windows(volunteer, day)) for day in WEEK] == [
        False, False, True, True, True, False, False]


def test_an_absence_takes_the_day_off():
    shift = ShiftFactory(rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", starts_on=MON)
    AbsenceFactory(volunteer=shift.volunteer, starts_on=WEEK[1], ends_on=WEEK[2])
    volunteer = fresh(shift.volunteer)
    assert [bool(selectors.volunteer_windows(volunteer, day)) for day in WEEK[:5]] == [
        True, False, False, True, True]


def test_overlapping_shifts_merge_into_one_window():
    volunteer = VolunteerFactory()
    ShiftFactory(volunteer=volunteer, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON,
                 start_time=T(9), end_time=T(13))
    ShiftFactory(volunteer=volunteer, rrule="FREQ=DAILY", starts_on=MON,
                 start_time=T(12), end_time=T(15))
    ShiftFactory(volunteer=volunteer, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON,
                 start_time=T(16), end_time=T(18))
    volunteer = fresh(volunteer)
    assert selectors.volunteer_windows(volunteer, MON) == [(T(9), T(15)), (T(16), T(18))]
    assert selectors.volunteer_windows(volunteer, WEEK[1]) == [(T(12), T(15))]


def test_every_second_week_counts_from_the_first_day():
    shift = ShiftFactory(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", starts_on=MON)
    volunteer = fresh(shift.volunteer)
    tuesdays = [MON + datetime.timedelta(days=1 + 7 * i) for i in range(4)]
    assert [bool(selectors.volunteer_windows(volunteer, d)) for d in tuesdays] == [
        True, False, True, False]


def test_a_public_holiday_does_not_cancel_a_shift():
    new_year = datetime.date(2027, 1, 1)  # a Friday and a public holiday in Kazakhstan
    shift = ShiftFactory(rrule="FREQ=WEEKLY;BYDAY=FR", starts_on=MON)
    assert selectors.volunteer_windows(fresh(shift.volunteer), new_year) == [(T(9), T(13))]


def test_available_volunteers_of_a_branch_on_a_day():
    branch = BranchFactory()
    works = VolunteerFactory(branch=branch)
    ShiftFactory(volunteer=works, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON)
    away = VolunteerFactory(branch=branch)
    ShiftFactory(volunteer=away, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON)
    AbsenceFactory(volunteer=away, starts_on=MON, ends_on=MON)
    inactive = VolunteerFactory(branch=branch, active=False)
    ShiftFactory(volunteer=inactive, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON)
    other_day = VolunteerFactory(branch=branch)
    ShiftFactory(volunteer=other_day, rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=MON)
    other_branch = VolunteerFactory()
    ShiftFactory(volunteer=other_branch, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=MON)

    available = selectors.volunteers_available(branch, MON)
    assert [(v.pk, windows) for v, windows in available] == [(works.pk, [(T(9), T(13))])]


def _roster(branch, count: int) -> None:
    for _ in range(count):
        volunteer = VolunteerFactory(branch=branch)
        ShiftFactory(volunteer=volunteer, rrule="FREQ=WEEKLY;BYDAY=MO,WE", starts_on=MON)
        ShiftFactory(volunteer=volunteer, rrule="FREQ=DAILY", starts_on=MON,
                     start_time=T(14), end_time=T(17))
        AbsenceFactory(volunteer=volunteer, starts_on=WEEK[3], ends_on=WEEK[4])


def test_volunteers_available_takes_the_same_queries_for_2_and_for_10():
    small, large = BranchFactory(), BranchFactory()
    _roster(small, 2)
    _roster(large, 10)
    counts = []
    for branch, expected in ((small, 2), (large, 10)):
        with CaptureQueriesContext(connection) as queries:
            available = selectors.volunteers_available(branch, MON)
        assert len(available) == expected
        counts.append(len(queries))
    assert counts[0] == counts[1] == 3


def test_shift_add_refuses_a_bad_rule_naming_the_rrule_field():
    volunteer = VolunteerFactory()
    with pytest.raises(services.ApplicationError) as caught:
        services.shift_add(volunteer=volunteer, rrule="FREQ=HOURLY", starts_on=MON,
                           start_time=T(9), end_time=T(13))
    assert caught.value.code == "shift.invalid_rrule"
    assert "rrule" in caught.value.fields
    assert not volunteer.shifts.exists()


def test_shift_add_stores_the_rule_in_normal_form():
    volunteer = VolunteerFactory()
    shift = services.shift_add(volunteer=volunteer, rrule="rrule:freq=weekly; byday=mo,fr",
                               starts_on=MON, start_time=T(9), end_time=T(13))
    assert shift.rrule == "FREQ=WEEKLY;BYDAY=MO,FR"


def test_absences_of_one_volunteer_do_not_overlap_but_others_may():
    volunteer = VolunteerFactory()
    services.absence_add(volunteer=volunteer, starts_on=WEEK[0], ends_on=WEEK[2])
    with pytest.raises(services.ConflictError) as caught:
        services.absence_add(volunteer=volunteer, starts_on=WEEK[2], ends_on=WEEK[5])
    assert caught.value.code == "absence.overlap"
    services.absence_add(volunteer=volunteer, starts_on=WEEK[3], ends_on=WEEK[5])
    services.absence_add(volunteer=VolunteerFactory(), starts_on=WEEK[0], ends_on=WEEK[6])
