import datetime

import pytest

from backend.circulation.models import Loan
from backend.orders.models import Order, OrderLine
from tests.factories import ItemFactory, LoanFactory, ReaderFactory
from tests.openapi import assert_documented


def test_renewal_extends_by_the_branch_period_up_to_the_limit(api, branch):
    branch.max_renewals = 1
    branch.save()
    loan = LoanFactory(reader=ReaderFactory(branch=branch),
                       due_date=datetime.date.today() + datetime.timedelta(days=3))
    client = api.as_role("operator")
    first = client.post(f"/api/v1/loans/{loan.id}/renew/")
    assert first.status_code == 200, first.json()
    expected = datetime.date.today() + datetime.timedelta(days=3 + branch.loan_days)
    assert first.json()["due_date"] == expected.isoformat()
    second = client.post(f"/api/v1/loans/{loan.id}/renew/")
    assert second.status_code == 409
    assert second.json()["code"] == "loan.renewal_limit"
    assert Loan.objects.get(pk=loan.pk).renewals == 1


def test_no_renewal_when_someone_else_waits_for_the_title(api, branch):
    loan = LoanFactory(reader=ReaderFactory(branch=branch))
    other = ReaderFactory(branch=branch)
    order = Order.objects.create(reader=other, branch=branch)
    OrderLine.objects.create(order=order, reader=other, kind="title", title=loan.title)
    response = api.as_role("operator").post(f"/api/v1/loans/{loan.id}/renew/")
    assert response.status_code == 409
    assert response.json()["code"] == "loan.title_requested"


def test_return_of_a_copy_not_on_loan_changes_nothing(api, branch):
    loan = LoanFactory(reader=ReaderFactory(branch=branch))
    free = ItemFactory(branch=branch)
    response = api.as_role("librarian").post(
        "/api/v1/returns/", {"barcodes": [loan.item.barcode, free.barcode]}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "loan.not_on_loan"
    assert Loan.objects.get(pk=loan.pk).status == "active"


def test_due_back_lists_the_household_loans_due_by_the_visit(api, branch):
    from tests.factories import FamilyCardFactory

    family = FamilyCardFactory(branch=branch)
    a = ReaderFactory(branch=branch, family_card=family)
    b = ReaderFactory(branch=branch, family_card=family)
    soon = LoanFactory(reader=b, family_card=family,
                       due_date=datetime.date.today() + datetime.timedelta(days=2))
    LoanFactory(reader=b, family_card=family,
                due_date=datetime.date.today() + datetime.timedelta(days=40))
    visit = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    body = api.as_role("operator").get(f"/api/v1/readers/{a.id}/due-back/",
                                       {"date": visit}).json()
    assert [loan["id"] for loan in body] == [soon.id]


def test_family_reading_history_includes_every_member(api, branch):
    from tests.factories import FamilyCardFactory

    family = FamilyCardFactory(branch=branch)
    a = ReaderFactory(branch=branch, family_card=family)
    b = ReaderFactory(branch=branch, family_card=family)
    loans = {LoanFactory(reader=a).id, LoanFactory(reader=b).id}
    LoanFactory(reader=ReaderFactory(branch=branch))
    body = api.as_role("librarian").get(f"/api/v1/family-cards/{family.id}/reading-history/")
    assert {loan["id"] for loan in body.json()["results"]} == loans


def test_due_back_is_the_plain_list_the_schema_documents(api, branch):
    reader = ReaderFactory(branch=branch)
    LoanFactory(reader=reader, due_date=datetime.date.today() + datetime.timedelta(days=2))
    visit = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    response = api.as_role("operator").get(f"/api/v1/readers/{reader.id}/due-back/",
                                           {"date": visit})
    assert response.status_code == 200 and len(response.json()) == 1
    assert_documented(response, "get", "/api/v1/readers/{id}/due-back/")


def test_loans_of_an_unknown_family_card_or_impossible_reader_are_bad_parameters(api, branch):
    client = api.as_role("operator")
    for name, value in (("family_card", 987654), ("family_card", 10**30), ("reader", 10**30)):
        response = client.get("/api/v1/loans/", {name: value})
        assert response.status_code == 400, (name, value)
        assert list(response.json()["fields"]) == [name]
        assert_documented(response, "get", "/api/v1/loans/")


@pytest.mark.parametrize("role, status", [("librarian", 200), ("operator", 200),
                                          ("coordinator", 403), ("volunteer", 403)])
def test_reading_history_is_for_those_who_choose_the_books(api, role, status):
    loan = LoanFactory()
    response = api.as_role(role).get(f"/api/v1/readers/{loan.reader_id}/reading-history/")
    assert response.status_code == status
    if status == 200:
        assert [row["id"] for row in response.json()["results"]] == [loan.id]
