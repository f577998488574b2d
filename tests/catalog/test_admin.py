"""Catalog admin: search through title_list, saves through the services."""
import pytest

from backend.accounts.models import User
from backend.catalog.models import Item, Title
from tests.factories import BranchFactory, ItemFactory, TitleFactory


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("boss", "boss@example.org", "pw-boss-123")
    client.force_login(user)
    return client


def test_changelist_search_is_the_catalog_search(admin_client):
    TitleFactory(title="АБАЙ ЖОЛЫ", authors=["Мұхтар Әуезов"])
    ItemFactory(title=TitleFactory(title="Тихий Дон", authors=["Михаил Шолохов"]),
                barcode="SOK000001")

    page = admin_client.get("/admin/catalog/title/", {"q": "абай"}).content.decode()
    assert "АБАЙ ЖОЛЫ" in page and "Тихий Дон" not in page
    page = admin_client.get("/admin/catalog/title/", {"q": "SOK000001"}).content.decode()
    assert "Тихий Дон" in page and "АБАЙ ЖОЛЫ" not in page
    assert admin_client.get("/admin/catalog/item/", {"q": "SOK000001"}).status_code == 200


def test_adding_a_title_with_a_copy_goes_through_the_services(admin_client):
    branch = BranchFactory(code="BSH")
    response = admin_client.post("/admin/catalog/title/add/", {
        "title": "Ұлпан", "authors": "Ғабит Мүсірепов\n\n", "language": "kk",
        "format": "print", "subjects": "Роман\nроман-эпопея", "isbn": "978-601-03-0370-6",
        "year": "2018", "publisher": "", "age_rating": "", "annotation": "",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-0-barcode": " BSH000777 ", "items-0-branch": str(branch.pk),
        "items-0-shelf_mark": "", "items-0-note": "",
    })
    assert response.status_code == 302, response.context and response.context["errors"]
    title = Title.objects.get()
    assert (title.isbn, title.search_text, title.subjects_key) == (
        "9786010303706", "ұлпан ғабит мүсірепов 9786010303706", "|роман|роман-эпопея|")
    assert (title.authors, title.subjects) == (["Ғабит Мүсірепов"], ["Роман", "роман-эпопея"])
    assert list(Item.objects.values_list("barcode", "title", "branch")) == [
        ("BSH000777", title.pk, branch.pk)]


def test_authors_and_subjects_are_lines_not_json(admin_client):
    title = TitleFactory(title="Қара сөздер", authors=["Абай Құнанбайұлы"],
                         subjects=["философия", "классика"])
    page = admin_client.get(f"/admin/catalog/title/{title.pk}/change/").content.decode()
    assert "Абай Құнанбайұлы</textarea>" in page
    assert "философия\nклассика</textarea>" in page
    assert '["' not in page


def test_a_too_long_author_is_named_in_the_error(admin_client):
    response = admin_client.post("/admin/catalog/title/add/", {
        "title": "X", "authors": "Я" * 201, "language": "ru", "format": "print",
        "subjects": "", "isbn": "", "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "authors" in response.context["adminform"].form.errors
    assert not Title.objects.exists()


def test_a_bad_isbn_is_refused_in_the_admin(admin_client):
    response = admin_client.post("/admin/catalog/title/add/", {
        "title": "X", "authors": "", "language": "ru", "format": "print", "subjects": "",
        "isbn": "978-601-03-0370-1", "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "isbn" in response.context["adminform"].form.errors
    assert not Title.objects.exists()


def test_status_actions_use_the_write_off_rules(admin_client):
    item = ItemFactory(status="on_loan")
    other = ItemFactory()
    admin_client.post("/admin/catalog/item/", {
        "action": "mark_lost", "_selected_action": [item.pk, other.pk]})
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.status, other.status) == ("on_loan", "lost")


def test_a_copy_with_a_taken_barcode_is_refused_on_the_form(admin_client):
    branch = BranchFactory(code="BSH")
    ItemFactory(barcode="BSH000777")
    title = TitleFactory(title="Ұлпан")
    response = admin_client.post(f"/admin/catalog/title/{title.pk}/change/", {
        "title": "Ұлпан", "authors": "", "language": "kk", "format": "print",
        "subjects": "", "isbn": "", "year": "", "publisher": "", "age_rating": "",
        "annotation": "",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-0-barcode": "BSH000777", "items-0-branch": str(branch.pk),
        "items-0-shelf_mark": "", "items-0-note": "",
    })
    assert response.status_code == 200
    assert not Item.objects.filter(title=title).exists()
