"""factory_boy factories for the whole suite."""
import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from backend.accounts.models import User
from backend.branches.models import Branch
from backend.readers.models import FamilyCard, Reader, ReaderPhone


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n:02d}")
    name = factory.Sequence(lambda n: f"Филиал {n}")
    settlement = "Бишкуль"
    lat = 54.779
    lon = 69.101


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            group, _ = Group.objects.get_or_create(name=extracted)
            self.groups.add(group)
        if create:
            self.save()


class ReaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reader
        skip_postgeneration_save = True

    branch = factory.SubFactory(BranchFactory)
    card_number = factory.Sequence(lambda n: f"T-{n:05d}")
    last_name = factory.Sequence(lambda n: f"Иванова{n}")
    first_name = "Мария"
    patronymic = "Петровна"
    birth_date = datetime.date(1945, 5, 9)
    category = "elderly"
    status = "active"
    language = "ru"
    consent_date = datetime.date(2026, 1, 15)
    settlement = "Бишкуль"
    street = "Ленина"
    house = "1"
    lat = 54.78
    lon = 69.10

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        from backend.readers.services import reader_search_fields

        reader_search_fields(self)
        if create:
            self.save(update_fields=["search_text", "search_key"])


class ReaderPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReaderPhone

    reader = factory.SubFactory(ReaderFactory)
    number = factory.Sequence(lambda n: f"+7701{n:07d}")
    kind = "mobile"


class FamilyCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyCard

    number = factory.Sequence(lambda n: f"F-{n:04d}")
    name = factory.Sequence(lambda n: f"Семья {n}")
    branch = factory.SubFactory(BranchFactory)
    settlement = "Бишкуль"


class TitleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Title"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Книга {n}")
    authors = factory.LazyFunction(lambda: ["Абай Құнанбайұлы"])
    language = "ru"
    format = "print"
    subjects = factory.LazyFunction(lambda: ["классика"])
    year = 2010

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        from backend.catalog.selectors import subjects_key, title_search_fields

        title_search_fields(self)
        self.subjects_key = subjects_key(self.subjects)
        if create:
            self.save(update_fields=["search_text", "search_key", "subjects_key"])


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Item"

    title = factory.SubFactory(TitleFactory)
    barcode = factory.Sequence(lambda n: f"BC{n:07d}")
    branch = factory.SubFactory(BranchFactory)
    status = "available"


class LoanFactory(factory.django.DjangoModelFactory):
    """A loan made directly (for history and limits); its copy is marked on loan."""

    class Meta:
        model = "circulation.Loan"

    item = factory.SubFactory(ItemFactory, status="on_loan")
    title = factory.LazyAttribute(lambda o: o.item.title)
    reader = factory.SubFactory(ReaderFactory)
    branch = factory.LazyAttribute(lambda o: o.reader.branch)
    status = "active"
    issued_at = factory.LazyFunction(timezone.now)
    due_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))
