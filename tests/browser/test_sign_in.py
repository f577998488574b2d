import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_by_keyboard_in_russian(page):
    UserFactory(username="lib", role="librarian", is_staff=True)
    page.goto(f"{page.base_url}/accounts/login/")
    assert page.locator("h1").inner_text() == "Вход"
    screenshot(page, "sign-in")
    sign_in(page, "lib")
    assert "/admin/" in page.url


def test_wrong_password_is_said(page):
    UserFactory(username="op", role="operator")
    sign_in(page, "op", "wrong-password")
    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
