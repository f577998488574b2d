"""Factories for routing and volunteer objects (not yet in tests/factories.py)."""
import datetime

import factory

from tests.factories import BranchFactory, ItemFactory, ReaderFactory, UserFactory

PLAN_DATE = datetime.date(2026, 12, 8)


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "volunteers.Volunteer"

    user = factory.SubFactory(UserFactory, role="volunteer")
    branch = factory.SubFactory(BranchFactory)
    transport = "foot"
    languages = factory.LazyFunction(lambda: ["ru"])


class DayPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "routing.DayPlan"

    branch = factory.SubFactory(BranchFactory)
    date = PLAN_DATE
    status = "published"


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "routing.Route"

    plan = factory.SubFactory(DayPlanFactory)
    volunteer = factory.SubFactory(VolunteerFactory, branch=factory.SelfAttribute("..plan.branch"))
    status = "published"


class StopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "routing.Stop"
        skip_postgeneration_save = True

    route = factory.SubFactory(RouteFactory)
    plan = factory.SelfAttribute("route.plan")
    sequence = factory.Sequence(lambda n: n + 1)
    reader = factory.SubFactory(ReaderFactory, branch=factory.SelfAttribute("..plan.branch"))
    household = factory.LazyAttribute(
        lambda o: f"F{o.family_card.pk}" if o.family_card else f"R{o.reader.pk}")
    family_card = None
    lat = factory.LazyAttribute(lambda o: o.reader.lat)
    lon = factory.LazyAttribute(lambda o: o.reader.lon)
    window_start = datetime.time(10, 0)
    window_end = datetime.time(12, 0)

    @factory.post_generation
    def orders(self, create, extracted, **kwargs):
        if create and extracted:
            self.orders.add(*extracted)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.Order"

    reader = factory.SubFactory(ReaderFactory)
    branch = factory.LazyAttribute(lambda o: o.reader.branch)
    status = "scheduled"
    scheduled_date = PLAN_DATE


class ReservedLineFactory(factory.django.DjangoModelFactory):
    """An exact-title line with its copy reserved: a book to hand over."""

    class Meta:
        model = "orders.OrderLine"

    order = factory.SubFactory(OrderFactory)
    reader = factory.LazyAttribute(lambda o: o.order.reader)
    kind = "title"
    item = factory.SubFactory(ItemFactory, status="reserved",
                              branch=factory.SelfAttribute("..order.branch"))
    title = factory.LazyAttribute(lambda o: o.item.title)
    status = "reserved"
