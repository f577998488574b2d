"""factory_boy factories for volunteers, their shifts and absences."""
import datetime

import factory

from backend.volunteers.models import Absence, Shift, Volunteer
from tests.factories import BranchFactory, UserFactory


class VolunteerUserFactory(UserFactory):
    """An account with a phone; pass role="volunteer" (VolunteerFactory does)."""

    first_name = "Дана"
    phone = factory.Sequence(lambda n: f"+7705{n:07d}")


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    user = factory.SubFactory(VolunteerUserFactory, role="volunteer")
    branch = factory.SubFactory(BranchFactory)
    transport = "foot"
    capacity = 10
    max_stops = 10
    languages = factory.LazyFunction(lambda: ["kk", "ru"])


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    volunteer = factory.SubFactory(VolunteerFactory)
    rrule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    starts_on = datetime.date(2026, 1, 5)
    start_time = datetime.time(9)
    end_time = datetime.time(13)


class AbsenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Absence

    volunteer = factory.SubFactory(VolunteerFactory)
    starts_on = datetime.date(2026, 12, 7)
    ends_on = datetime.date(2026, 12, 9)
    reason = "Болеет"
