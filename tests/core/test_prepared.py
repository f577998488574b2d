"""Reads with their SQL built once (backend.core.prepared): the same SQL and the same objects
as the queryset, related objects and annotations included, read in one query."""
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from backend.core.prepared import MAX_CUTS, PreparedRead
from backend.volunteers.models import Absence
from tests.volunteers.factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def users_with_branch(user_id):
    return get_user_model().objects.select_related("volunteer__branch").filter(pk=user_id)


def columns(obj):
    return {name: value for name, value in vars(obj).items() if not name.startswith("_")}


def test_the_objects_are_the_querysets_with_what_it_selects_related():
    read = PreparedRead(users_with_branch, "user_id")
    first, second = VolunteerFactory(), VolunteerFactory()
    for volunteer in (first, second, first):  # built at the first run, reused after
        with CaptureQueriesContext(connection) as queries:
            [user] = read.rows(user_id=volunteer.user_id)
            branch = user.volunteer.branch  # read with the user
        assert len(queries) == 1
        expected = users_with_branch(volunteer.user_id).order_by().get()
        assert queries[0]["sql"] == str(users_with_branch(volunteer.user_id).order_by().query)
        assert columns(user) == columns(expected)
        assert columns(user.volunteer) == columns(expected.volunteer)
        assert columns(branch) == columns(expected.volunteer.branch)
        assert user._state.adding is False and user._state.db == "default"
    assert read.rows(user_id=second.user_id + 1000) == []


def test_annotations_and_one_object_per_row():
    read = PreparedRead(lambda user_id: get_user_model().objects.filter(pk=user_id)
                        .annotate(role=F("groups__name")), "user_id")
    user = VolunteerFactory().user
    user.groups.add(Group.objects.get_or_create(name="volunteer")[0],
                    Group.objects.get_or_create(name="courier")[0])
    rows = read.rows(user_id=user.pk)
    assert sorted(row.role for row in rows) == ["courier", "volunteer"]
    assert {row.pk for row in rows} == {user.pk}


def test_what_is_not_an_id_is_read_by_the_queryset_itself():
    read = PreparedRead(users_with_branch, "user_id")
    user = VolunteerFactory().user
    [found] = read.rows(user_id=str(user.pk))
    assert found.pk == user.pk
    assert read.rows(user_id=-5) == []


def test_an_id_the_query_does_not_take_is_refused():
    read = PreparedRead(lambda user_id: get_user_model().objects.filter(pk__gte=0), "user_id")
    with pytest.raises(ValueError, match="user_id"):
        read.rows(user_id=1)


def test_values_rows_in_the_querysets_order():
    def usernames(branch_id):
        return (get_user_model().objects.filter(volunteer__branch_id=branch_id)
                .order_by("-username").values("id", "username"))

    read = PreparedRead(usernames, "branch_id")
    first = VolunteerFactory()
    VolunteerFactory(branch=first.branch)
    VolunteerFactory()  # another branch
    for _ in range(2):
        rows = read.rows(branch_id=first.branch_id)
        assert rows == list(usernames(first.branch_id)) and len(rows) == 2


def test_a_day_is_put_in_as_the_date_column_takes_it():
    def absences_from(volunteer_id, day):
        return Absence.objects.filter(volunteer_id=volunteer_id, starts_on=day)

    read = PreparedRead(absences_from, "volunteer_id", "day", dates=("day",))
    volunteer = VolunteerFactory()
    days = [datetime.date(2026, 12, 7), datetime.date(2026, 12, 9)]
    made = [Absence.objects.create(volunteer=volunteer, starts_on=day, ends_on=day)
            for day in days]
    for day, absence in zip(days * 2, made * 2):
        assert [row.pk for row in read.rows(volunteer_id=volunteer.pk, day=day)] == [absence.pk]
    assert read.rows(volunteer_id=volunteer.pk, day=datetime.date(2026, 12, 8)) == []
    # A date-time is not a day: read by the queryset itself, as it reads one.
    assert read.rows(volunteer_id=volunteer.pk,
                     day=datetime.datetime(2026, 12, 7, 10)) == list(
        absences_from(volunteer.pk, datetime.datetime(2026, 12, 7, 10)))


def test_lists_of_ids_a_query_for_each_length_and_the_longer_ones_as_such():
    def users_in(ids):
        return get_user_model().objects.filter(pk__in=ids).order_by("id")

    read = PreparedRead(users_in, "ids", lists=("ids",))
    users = [VolunteerFactory().user for _ in range(10)]
    pks = [user.pk for user in users]
    for chosen in ([pks[0]], pks[:3], [pks[2], pks[1], pks[2]], pks, [], pks[:3]):
        with CaptureQueriesContext(connection) as queries:
            found = read.rows(ids=chosen)
        assert [user.pk for user in found] == list(users_in(chosen).values_list("pk", flat=True))
        assert len(queries) == (1 if chosen else 0)  # `pk__in=[]` reads nothing at all
    assert set(read.local.built[1]) == {(1,), (3,), (2,), (0,)}  # 10 ids: the queryset's own


def test_an_id_the_query_takes_twice_is_put_in_both_places():
    read = PreparedRead(lambda user_id: get_user_model().objects.filter(
        pk__gte=user_id, pk__lte=user_id), "user_id")
    first, second = VolunteerFactory().user, VolunteerFactory().user
    assert [user.pk for user in read.rows(user_id=first.pk)] == [first.pk]
    assert [user.pk for user in read.rows(user_id=second.pk)] == [second.pk]


def test_a_text_compared_whole_is_put_in_as_said():
    def by_username(username):
        return get_user_model().objects.filter(username=username).values("id", "username")

    read = PreparedRead(by_username, "username", texts=("username",))
    first, second = VolunteerFactory().user, VolunteerFactory().user
    for user in (first, second, first):  # built at the first run, reused after
        with CaptureQueriesContext(connection) as queries:
            rows = read.rows(username=user.username)
        assert rows == [{"id": user.pk, "username": user.username}]
        with CaptureQueriesContext(connection) as expected:
            list(by_username(user.username))
        assert queries[0]["sql"] == expected[0]["sql"]
    assert read.rows(username="nobody's name") == []
    assert read.rows(username="50% off_\\") == []
    assert read.rows(username=5) == []  # not a text: the queryset itself


def test_a_text_the_query_changes_is_refused():
    read = PreparedRead(lambda username: get_user_model().objects
                        .filter(username__startswith=username), "username", texts=("username",))
    with pytest.raises(ValueError, match="username"):
        read.rows(username="a")


def test_lists_of_texts_read_as_the_queryset_reads_them():
    def by_names(usernames):
        return get_user_model().objects.filter(username__in=usernames).order_by("username")

    read = PreparedRead(by_names, "usernames", text_lists=("usernames",))
    users = [VolunteerFactory().user for _ in range(3)]
    names = sorted(user.username for user in users)
    for asked in ([names[0]], names[:2], [names[2], names[0]], names[:2], [names[1]] * 2,
                  [names[0], "nobody", " " + names[1]]):
        with CaptureQueriesContext(connection) as queries:
            rows = read.rows(usernames=asked)
        assert len(queries) == 1
        with CaptureQueriesContext(connection) as its_own:
            expected = list(by_names(list(dict.fromkeys(asked))))
        assert [columns(row) for row in rows] == [columns(row) for row in expected]
        assert queries[0]["sql"] == its_own[0]["sql"]
    assert [row.username for row in read.rows(usernames=names[:2])] == names[:2]
    # Not texts, or more than MAX_LIST: the queryset itself.
    assert read.rows(usernames=[1]) == []
    assert [row.pk for row in read.rows(usernames=names * 3)] == [row.pk for row in
                                                                   by_names(names)]


def test_a_text_in_a_pattern_is_escaped_as_the_orm_escapes_it():
    def by_start(start, part):
        return (get_user_model().objects.filter(username__startswith=start,
                                                last_name__contains=part)
                .order_by("username").values("username"))

    read = PreparedRead(by_start, "start", "part", likes=("start", "part"))
    names = ["50%_off", "50%-off", "50x_off", "50%\\off", "a\\b_c", "a\\bxc", "abc"]
    for name in names:
        VolunteerFactory(user__username=name, user__last_name=f"x{name}y")
    asked = [("50%", "%"), ("50%_", "_"), ("50", "%_"), ("50%\\", "\\"), ("a\\b", "\\b_"),
             ("a\\b", "b"), ("", ""), ("5", "0x"), ("a", "b%"), ("50%", "x50%")]
    for start, part in asked * 2:  # built at the first run, reused after
        with CaptureQueriesContext(connection) as queries:
            rows = read.rows(start=start, part=part)
        with CaptureQueriesContext(connection) as its_own:
            expected = list(by_start(start, part))
        assert rows == expected, (start, part)
        assert queries[0]["sql"] == its_own[0]["sql"]
    assert [row["username"] for row in read.rows(start="50%", part="")] == [
        "50%-off", "50%\\off", "50%_off"]
    assert read.rows(start="50x", part="\x1f") == list(by_start("50x", "\x1f"))  # as such


def test_a_text_compared_whole_is_not_a_pattern():
    read = PreparedRead(lambda name: get_user_model().objects.filter(username=name),
                        "name", likes=("name",))
    with pytest.raises(ValueError, match="name"):
        read.rows(name="a")


def test_cuts_read_the_querysets_rows_from_to():
    def users_from(branch_id):
        return (get_user_model().objects.filter(volunteer__branch_id=branch_id)
                .order_by("username").values("id"))

    read = PreparedRead(users_from, "branch_id")
    first = VolunteerFactory()
    for _ in range(5):
        VolunteerFactory(branch=first.branch)
    everyone = list(users_from(first.branch_id))
    for start, stop in ((0, 2), (2, 4), (0, 2), (4, 10), (3, 3), (0, 6)):
        with CaptureQueriesContext(connection) as queries:
            rows = read.rows(cut=(start, stop), branch_id=first.branch_id)
        assert rows == everyone[start:stop]
        assert len(queries) == (0 if start == stop else 1)
        with CaptureQueriesContext(connection) as its_own:
            list(users_from(first.branch_id)[start:stop])
        assert [q["sql"] for q in queries] == [q["sql"] for q in its_own]
    assert read.rows(branch_id=first.branch_id) == everyone  # no cut: every row
    # Further than MAX_CUT, or more cuts than MAX_CUTS: the queryset's own, the same rows.
    assert read.rows(cut=(2, 5000), branch_id=first.branch_id) == everyone[2:]
    for stop in range(1, 30):
        assert read.rows(cut=(0, stop), branch_id=first.branch_id) == everyone[:stop]
    assert sum(type(key[-1]) is tuple for key in read.local.built[1] if key) == MAX_CUTS
