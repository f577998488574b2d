"""Who may do what, endpoint by endpoint: the authorization matrix.

The cases are generated from the URL configuration (`backend.config.urls`, walked with
django.urls resolvers): every endpoint of the staff API (/api/v1/), of the volunteers' app
(/api/mobile/v1/) and every page under /desk/, /picking/, /plan/ and /reports/, for every role
(anonymous, librarian, operator, coordinator, volunteer) and every HTTP method its view has.
The expected answer of each is written down in MATRIX below; an endpoint or a method without
an entry fails `test_every_endpoint_has_an_entry`, so a new endpoint cannot ship before
someone decides who may use it. /admin/ is left to Django's own permissions
(`test_admin_sends_users_without_admin_access_to_its_login`).

Branches are not separated. Kniga 03 serves one district library system: the roles are
global groups (backend/core/roles.py, backend/accounts/roles_setup.py), no permission class
or selector filters by the user's branch (a user's branch only picks the default branch of
the day-plan page), and DESIGN.md has every staff role serve the whole district. So the
staff users here belong to one branch and every object they touch to another: the matrix
shows them working across branches.

What IS separated is tested:

- a volunteer reaches only their own day: another volunteer's route and stop answer 404 in
  the app, the staff API (another volunteer's availability, routes, loans) answers 403, and
  no answer to a volunteer holds another volunteer's reader or absence;
- librarian-only data stays with librarians: the eligibility document and volunteers'
  concerns about a reader (their notes, what was done) are in no answer to anyone else;
  reader import and export, the card access log, a card's concerns, returns at the desk and
  the catalog import answer 403 to every other role (`test_librarian_only_data_is_out_of_reach`);
- coordinators plan routes without the reader's birth date, category, reading formats,
  consent record or document (tests/readers/test_card_privacy.py), and without what the
  reader reads: no title, author, format, barcode, wish or suggestion reason of a loan, an
  order or a pick list, only counts and due dates. FIELDS below says, per role, which keys
  no JSON answer may hold (walked through the whole body) and which values no answer may
  show (the reader's books, their Braille format, a suggestion's reasons), for every
  endpoint of the URL configuration; the catalog (/titles/, /items/) describes books, not
  readers, and is the one place a coordinator reads titles.

Each case builds one small district (`World`) and asks as every role in turn, each inside a
savepoint that is rolled back, so what one role writes never changes what the next finds.
The objects in paths exist: an answer is about permission, not about a missing row.
"""
from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from backend.accounts.tokens import StaffRefreshToken, tokens_issue
from backend.notifications.models import InboxItem
from backend.orders.models import LineStatus, Order, OrderLine
from backend.plans.models import StandingPlan, StandingPlanPause
from backend.readers.models import CardChange, Reader
from backend.readers.services import reader_search_text
from backend.routing.models import Concern, DayPlan
from mobile_api.auth import tokens_for
from tests.factories import (
    BranchFactory,
    FamilyCardFactory,
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    TitleFactory,
    UserFactory,
)
from tests.mobile_api.conftest import branch_today, make_volunteer, published_route, stops_of
from tests.mobile_api.test_access import BODIES as MOBILE_BODIES
from tests.volunteers.factories import AbsenceFactory

ANONYMOUS, LIBRARIAN, OPERATOR = "anonymous", "librarian", "operator"
COORDINATOR, VOLUNTEER = "coordinator", "volunteer"
ROLES = (ANONYMOUS, LIBRARIAN, OPERATOR, COORDINATOR, VOLUNTEER)
STAFF = (LIBRARIAN, OPERATOR, COORDINATOR)
PREFIXES = ("api/v1/", "api/mobile/v1/", "desk/", "picking/", "plan/", "reports/")
METHODS = ("get", "post", "put", "patch", "delete")
LOGIN = "login"  # a page sends the visitor to /accounts/login/

# What must never be in an answer to the roles named (see the module docstring).
DOCUMENT_NUMBER = "МСЭ-7310042"
BIRTH_DATES = ("1938-02-17", "17.02.1938")
OTHER_READER = "Жақсыбекова"
OTHER_ABSENCE = "Уехала к сестре в Кокшетау"
# The reader's books: one on loan (in Braille), one ordered, one reserved for a visit.
LOANED_TITLE = "Шёпот степи"
# What a volunteer wrote about the reader's health: librarians only.
CONCERN_NOTE = "Жаловалась на давление"
ORDERED_TITLE = "Көз нұры"
RESERVED_TITLE = "Песни Абая для слуха"

# What each role's JSON answers never hold, as keys anywhere in the body, and as text.
READING_KEYS = frozenset({"title", "authors", "format", "barcode", "wish", "reasons",
                          "suggestions", "lines", "preferences"})
CARD_KEYS = frozenset({"birth_date", "category", "category_display", "categories",
                       "categories_display", "consent", "document", "document_number",
                       "document_type"})
CONCERN_KEYS = frozenset({"closing_note"})
FIELDS: dict[str, dict[str, frozenset[str] | tuple[str, ...]]] = {
    OPERATOR: {"keys": frozenset({"document", "document_number", "document_type"})
               | CONCERN_KEYS,
               "values": (DOCUMENT_NUMBER, CONCERN_NOTE)},
    COORDINATOR: {"keys": READING_KEYS | CARD_KEYS | CONCERN_KEYS,
                  "values": (DOCUMENT_NUMBER, *BIRTH_DATES, LOANED_TITLE, ORDERED_TITLE,
                             RESERVED_TITLE, "braille", "format:", CONCERN_NOTE)},
    VOLUNTEER: {"keys": CONCERN_KEYS, "values": (CONCERN_NOTE,)},
}
# Books without readers: the catalog is where anyone on the staff looks titles up.
CATALOG = ("/api/v1/titles/", "/api/v1/items/")
# Keys an answer may hold because it repeats what the request sent: a delivery recorded by
# a coordinator is sent as the barcodes read off the books, and its answer lists them back.
ECHOED = {("/api/v1/orders/<int:pk>/deliver/", "barcode")}


# The endpoints, from the URL configuration -------------------------------------------------


def endpoints() -> dict[str, type]:
    """'/api/v1/readers/<int:pk>/' -> its view class, for every route the matrix covers."""
    found: dict[str, type] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.startswith(PREFIXES):
                callback = pattern.callback
                found["/" + route] = (getattr(callback, "view_class", None)
                                      or getattr(callback, "cls", None) or callback)
    walk(get_resolver().url_patterns, "")
    return found


def methods(view) -> list[str]:
    return [m for m in METHODS if hasattr(view, m)]


CASES = [(pattern, method) for pattern, view in sorted(endpoints().items())
         for method in methods(view)]


# The expected answers --------------------------------------------------------------------------


def row(anonymous, librarian, operator, coordinator, volunteer) -> dict[str, int | str]:
    return dict(zip(ROLES, (anonymous, librarian, operator, coordinator, volunteer),
                    strict=True))


# Read a row as: anonymous, librarian, operator, coordinator, volunteer. A number is the
# status code; LOGIN is a redirect to the sign-in page. 403 from a role's permission, 401
# without credentials; in the app, 404 is how another volunteer's route or stop answers.
MATRIX: dict[str, dict[str, dict[str, int | str]]] = {
    #                  anon    lib   oper  coord     vol
    "/api/v1/auth/me/": {
        "get":    row(  401,   200,   200,   200,   200),  # oneself
    },
    "/api/v1/auth/token/": {
        "post":   row(  401,   401,   401,   401,   401),  # wrong password
    },
    "/api/v1/auth/token/refresh/": {
        "post":   row(  401,   401,   401,   401,   401),
    },
    "/api/v1/branches/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/card-access/": {
        "get":    row(  401,   200,   403,   403,   403),
    },
    "/api/v1/desk/calls/": {
        "get":    row(  401,   200,   200,   403,   403),
        "post":   row(  401,   201,   201,   403,   403),
    },
    "/api/v1/desk/inbox/": {
        "get":    row(  401,   200,   200,   403,   403),
    },
    "/api/v1/desk/inbox/<int:pk>/done/": {
        "post":   row(  401,   200,   200,   403,   403),
    },
    "/api/v1/desk/incoming/": {
        "get":    row(  401,   200,   200,   403,   403),
    },
    "/api/v1/desk/incoming/<int:pk>/done/": {
        "post":   row(  401,   200,   200,   403,   403),
    },
    "/api/v1/desk/lookup/": {
        "get":    row(  401,   200,   200,   403,   403),
    },
    "/api/v1/family-cards/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   201,   403,   403,   403),
    },
    "/api/v1/family-cards/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "put":    row(  401,   200,   403,   403,   403),
        "patch":  row(  401,   200,   403,   403,   403),
    },
    "/api/v1/family-cards/<int:pk>/history/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/family-cards/<int:pk>/reading-history/": {
        "get":    row(  401,   200,   200,   403,   403),
    },
    "/api/v1/items/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   201,   403,   403,   403),
    },
    "/api/v1/items/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "patch":  row(  401,   200,   403,   403,   403),
    },
    "/api/v1/items/<int:pk>/status/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/loans/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/loans/<int:pk>/renew/": {
        "post":   row(  401,   200,   200,   403,   403),
    },
    "/api/v1/order-lines/<int:pk>/assign/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/order-lines/<int:pk>/cancel/": {
        "post":   row(  401,   200,   200,   403,   403),
    },
    "/api/v1/order-lines/<int:pk>/suggestions/": {
        "get":    row(  401,   200,   403,   403,   403),  # reasons tell preferences
    },
    "/api/v1/order-lines/<int:pk>/unassign/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/orders/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   201,   201,   403,   403),
    },
    "/api/v1/orders/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "patch":  row(  401,   200,   200,   403,   403),
    },
    "/api/v1/orders/<int:pk>/cancel/": {
        "post":   row(  401,   200,   200,   403,   403),
    },
    "/api/v1/orders/<int:pk>/deliver/": {
        "post":   row(  401,   200,   403,   200,   403),
    },
    "/api/v1/orders/<int:pk>/events/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/orders/<int:pk>/fail/": {
        "post":   row(  401,   200,   403,   200,   403),
    },
    "/api/v1/orders/<int:pk>/ready/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/orders/<int:pk>/requeue/": {
        "post":   row(  401,   200,   403,   200,   403),
    },
    "/api/v1/orders/<int:pk>/start-picking/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/pick-lists/": {
        "get":    row(  401,   200,   403,   403,   403),  # titles, wishes, suggestions
    },
    "/api/v1/plans/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   403,   403,   201,   403),
    },
    "/api/v1/plans/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/plans/<int:pk>/progress/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/plans/<int:pk>/publish/": {
        "post":   row(  401,   403,   403,   200,   403),
    },
    "/api/v1/plans/<int:pk>/revision/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    # The world's plan has no draft revision: the coordinator is let in and told so.
    "/api/v1/plans/<int:pk>/revision/publish/": {
        "post":   row(  401,   403,   403,   409,   403),
    },
    "/api/v1/plans/<int:pk>/revision/discard/": {
        "post":   row(  401,   403,   403,   409,   403),
    },
    "/api/v1/plans/<int:pk>/solve/": {
        "post":   row(  401,   403,   403,   200,   403),
    },
    "/api/v1/plans/<int:pk>/sheets.pdf": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/readers/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   201,   403,   403,   403),
    },
    "/api/v1/readers/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "put":    row(  401,   200,   403,   403,   403),
        "patch":  row(  401,   200,   403,   403,   403),
    },
    "/api/v1/readers/<int:pk>/due-back/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/readers/<int:pk>/history/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/readers/<int:pk>/geocode/choose/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/readers/<int:pk>/concerns/": {
        "get":    row(  401,   200,   403,   403,   403),  # sensitive: librarians only
    },
    "/api/v1/concerns/<int:pk>/close/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/readers/<int:pk>/reading-history/": {
        "get":    row(  401,   200,   200,   403,   403),
    },
    "/api/v1/readers/export/": {
        "get":    row(  401,   200,   403,   403,   403),
    },
    "/api/v1/readers/import/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/readers/import/template/": {
        "get":    row(  401,   200,   403,   403,   403),
    },
    "/api/v1/reports/summary.csv": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/reports/summary.xlsx": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/reports/summary/": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/returns/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/routes/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/routes/<int:pk>/map.svg": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/routes/<int:pk>/resequence/": {
        "post":   row(  401,   403,   403,   200,   403),
    },
    "/api/v1/routes/<int:pk>/sheet.pdf": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/standing-plans/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   201,   201,   403,   403),
    },
    "/api/v1/standing-plans/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "patch":  row(  401,   200,   200,   403,   403),
    },
    "/api/v1/standing-plans/<int:pk>/occurrences/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/standing-plans/<int:pk>/pauses/": {
        "post":   row(  401,   201,   201,   403,   403),
    },
    "/api/v1/standing-plans/<int:pk>/pauses/<int:pause_id>/": {
        "delete": row(  401,   204,   204,   403,   403),
    },
    "/api/v1/stops/<int:pk>/move/": {
        "post":   row(  401,   403,   403,   200,   403),
    },
    "/api/v1/stops/<int:pk>/pin/": {
        "post":   row(  401,   403,   403,   200,   403),
    },
    # The stop is still planned: a coordinator hears it was not failed.
    "/api/v1/stops/<int:pk>/plan-again/": {
        "post":   row(  401,   403,   403,   409,   403),
    },
    "/api/v1/plans/<int:pk>/live/": {
        "get":    row(  401,   200,   403,   200,   403),
    },
    "/api/v1/titles/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   201,   403,   403,   403),
    },
    "/api/v1/titles/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "patch":  row(  401,   200,   403,   403,   403),
    },
    "/api/v1/titles/import/": {
        "post":   row(  401,   200,   403,   403,   403),
    },
    "/api/v1/twilio/sms/": {
        "post":   row(  403,   403,   403,   403,   403),  # unsigned
    },
    "/api/v1/twilio/status/": {
        "post":   row(  403,   403,   403,   403,   403),
    },
    "/api/v1/twilio/voice/": {
        "post":   row(  403,   403,   403,   403,   403),
    },
    "/api/v1/volunteers/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   403,   403,   201,   403),
    },
    "/api/v1/volunteers/<int:pk>/": {
        "get":    row(  401,   200,   200,   200,   403),
        "patch":  row(  401,   403,   403,   200,   403),
    },
    "/api/v1/volunteers/<int:pk>/absences/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   403,   403,   201,   403),
    },
    "/api/v1/volunteers/<int:pk>/absences/<int:absence_id>/": {
        "delete": row(  401,   403,   403,   204,   403),
    },
    "/api/v1/volunteers/<int:pk>/availability/": {
        "get":    row(  401,   200,   200,   200,   403),
    },
    "/api/v1/volunteers/<int:pk>/shifts/": {
        "get":    row(  401,   200,   200,   200,   403),
        "post":   row(  401,   403,   403,   201,   403),
    },
    "/api/v1/volunteers/<int:pk>/shifts/<int:shift_id>/": {
        "delete": row(  401,   403,   403,   204,   403),
    },
    "/api/mobile/v1/auth/otp/request/": {
        "post":   row(  200,   200,   200,   200,   200),  # says nothing
    },
    "/api/mobile/v1/auth/otp/verify/": {
        "post":   row(  401,   401,   401,   401,   401),
    },
    "/api/mobile/v1/auth/link/": {
        "post":   row(  401,   401,   401,   401,   401),  # unknown link
    },
    "/api/mobile/v1/auth/refresh/": {
        "post":   row(  401,   401,   401,   401,   401),
    },
    "/api/mobile/v1/auth/sign-out/": {
        "post":   row(  401,   401,   401,   401,   401),  # not a token
    },
    "/api/mobile/v1/auth/token/": {
        "post":   row(  401,   401,   401,   401,   401),  # wrong password
    },
    "/api/mobile/v1/changes/": {
        "get":    row(  401,   403,   403,   403,   200),
    },
    "/api/mobile/v1/me/": {
        "get":    row(  401,   403,   403,   403,   200),
    },
    "/api/mobile/v1/me/availability/": {
        "get":    row(  401,   403,   403,   403,   200),
        "post":   row(  401,   403,   403,   403,   201),
    },
    "/api/mobile/v1/me/routes/": {
        "get":    row(  401,   403,   403,   403,   200),
    },
    "/api/mobile/v1/routes/<int:pk>/": {
        "get":    row(  401,   403,   403,   403,   404),  # not theirs
    },
    "/api/mobile/v1/routes/<int:pk>/finish/": {
        "post":   row(  401,   403,   403,   403,   404),
    },
    "/api/mobile/v1/routes/<int:pk>/start/": {
        "post":   row(  401,   403,   403,   403,   404),
    },
    "/api/mobile/v1/stops/<int:pk>/arrive/": {
        "post":   row(  401,   403,   403,   403,   404),
    },
    "/api/mobile/v1/stops/<int:pk>/complete/": {
        "post":   row(  401,   403,   403,   403,   404),
    },
    "/api/mobile/v1/stops/<int:pk>/fail/": {
        "post":   row(  401,   403,   403,   403,   404),
    },
    "/api/mobile/v1/stops/<int:pk>/concern/": {
        "post":   row(  401,   403,   403,   403,   404),
    },
    "/api/mobile/v1/sync/": {
        "post":   row(  401,   403,   403,   403,   200),
    },
    "/desk/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
    },
    "/desk/calls/": {
        "post":   row(LOGIN,   302,   302,   403,   403),
    },
    "/desk/inbox/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
    },
    "/desk/inbox/<int:pk>/call/": {
        "post":   row(LOGIN,   302,   302,   403,   403),
    },
    "/desk/inbox/<int:pk>/done/": {
        "post":   row(LOGIN,   302,   302,   403,   403),
    },
    "/desk/new/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
        "post":   row(LOGIN,   302,   302,   403,   403),
    },
    "/desk/readers/<int:pk>/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
    },
    "/desk/readers/<int:pk>/loans/<int:loan_id>/renew/": {
        "get":    row(LOGIN,   405,   405,   403,   403),
        "post":   row(LOGIN,   302,   302,   403,   403),
    },
    "/desk/readers/<int:pk>/order/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
        "post":   row(LOGIN,   200,   200,   403,   403),
    },
    "/desk/readers/<int:pk>/orders/<int:order_id>/move/": {
        "get":    row(LOGIN,   405,   405,   403,   403),
        "post":   row(LOGIN,   302,   302,   403,   403),
    },
    "/desk/search/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
    },
    "/desk/titles/": {
        "get":    row(LOGIN,   200,   200,   403,   403),
    },
    "/picking/": {
        "get":    row(LOGIN,   200,   403,   403,   403),
    },
    "/picking/lines/<int:pk>/assign/": {
        "post":   row(LOGIN,   302,   403,   403,   403),
    },
    "/picking/lines/<int:pk>/cancel/": {
        "post":   row(LOGIN,   302,   403,   403,   403),
    },
    "/picking/lines/<int:pk>/substitute/": {
        "post":   row(LOGIN,   302,   403,   403,   403),
    },
    "/picking/orders/<int:pk>/ready/": {
        "post":   row(LOGIN,   302,   403,   403,   403),
    },
    "/picking/pdf/": {
        "get":    row(LOGIN,   200,   403,   403,   403),
    },
    "/picking/scan/": {
        "post":   row(LOGIN,   302,   403,   403,   403),
    },
    "/plan/": {
        "get":    row(LOGIN,   200,   200,   200,   403),
    },
    "/plan/<int:plan_id>/sheets/": {
        "get":    row(LOGIN,   200,   403,   200,   403),
    },
    "/reports/": {
        "get":    row(LOGIN,   200,   403,   200,   403),
    },
}


# The district every case runs in -----------------------------------------------------------------


class World:
    """Staff of one branch; readers, orders, routes and volunteers of another. `mine` is the
    volunteer who asks; `theirs` is another volunteer with a route, a stop and an absence."""

    def __init__(self) -> None:
        self.home = BranchFactory(code=f"H{uuid.uuid4().hex[:6]}")
        self.branch = BranchFactory(code=f"W{uuid.uuid4().hex[:6]}", lat=54.0, lon=69.0)
        self.mine = make_volunteer(branch=self.branch)
        published_route(self.mine, stops=1)
        self.theirs = make_volunteer(branch=self.branch)
        self.today = branch_today(self.branch)
        self.route = published_route(self.theirs, day=self.today, stops=1)
        self.stop = stops_of(self.route)[0]
        self.plan = self.stop.plan
        self.my_route = self.mine.routes.get()
        self.shift = self.theirs.shifts.get()
        self.absence = AbsenceFactory(volunteer=self.theirs, reason=OTHER_ABSENCE,
                                      starts_on=self.today + datetime.timedelta(days=3),
                                      ends_on=self.today + datetime.timedelta(days=4))
        self.users = {role: UserFactory(role=role, branch=self.home) for role in STAFF}
        self.users[VOLUNTEER] = self.mine.user
        self.users[ANONYMOUS] = None

        # The reader on the other volunteer's stop, with what only some roles may see.
        reader = self.stop.reader
        Reader.objects.filter(pk=reader.pk).update(
            last_name=OTHER_READER, birth_date=datetime.date(1938, 2, 17),
            category="disability_1", document_type="disability_certificate",
            document_number=DOCUMENT_NUMBER, preferences={"formats": ["braille"]})
        reader.refresh_from_db()
        Reader.objects.filter(pk=reader.pk).update(search_text=reader_search_text(reader))
        self.reader = reader
        CardChange.objects.create(reader=reader, action="created", changes={
            "birth_date": [None, "1938-02-17"], "document_number": [None, DOCUMENT_NUMBER],
            "street": [None, reader.street]})
        self.phone = str(reader.phones.first().number)
        self.scheduled = self.stop.orders.get()
        self.reader_without_plan = ReaderFactory(branch=self.branch)
        self.family = FamilyCardFactory(branch=self.branch)
        member = ReaderFactory(branch=self.branch, family_card=self.family)
        self.family.head = member
        self.family.save()

        # Orders in the states their actions need.
        self.title = TitleFactory(title=ORDERED_TITLE, format="large_print")
        self.shelf_copy = ItemFactory(title=self.title, branch=self.branch)
        self.new_order = Order.objects.create(reader=reader, branch=self.branch, status="new")
        self.waiting_line = OrderLine.objects.create(
            order=self.new_order, reader=reader, kind="title", title=self.title,
            status=LineStatus.WAITING)
        self.picking_order = Order.objects.create(reader=reader, branch=self.branch,
                                                  status="picking")
        copy = ItemFactory(branch=self.branch, status="reserved",
                           title=TitleFactory(title=RESERVED_TITLE, format="audio"))
        self.reserved_line = OrderLine.objects.create(
            order=self.picking_order, reader=reader, kind="title", item=copy, title=copy.title,
            status=LineStatus.RESERVED)
        self.loan = LoanFactory(reader=reader, item=ItemFactory(
            branch=self.branch, status="on_loan",
            title=TitleFactory(title=LOANED_TITLE, format="braille")))
        LoanFactory(reader=reader, status="returned", returned_at=self.loan.issued_at,
                    item=ItemFactory(branch=self.branch,
                                     title=TitleFactory(title=LOANED_TITLE + " II")))
        self.standing_plan = StandingPlan.objects.create(
            reader=reader, rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=self.today,
            window_start=datetime.time(10), window_end=datetime.time(12))
        self.pause = StandingPlanPause.objects.create(
            plan=self.standing_plan, starts_on=self.today + datetime.timedelta(days=7),
            ends_on=self.today + datetime.timedelta(days=14), reason="Больница")
        self.draft_plan = DayPlan.objects.create(
            branch=self.branch, date=self.today + datetime.timedelta(days=30))
        self.reply = InboxItem.objects.create(kind="message", reader=reader, phone=self.phone,
                                              text="Можно в пятницу?")
        self.call = InboxItem.objects.create(kind="call", reader=reader, phone=self.phone)
        self.concern = Concern.objects.create(reader=reader, stop=self.stop, kind="unwell",
                                              note=CONCERN_NOTE, raised_by=self.theirs)

        self.api = {role: api_client(user) for role, user in self.users.items()}
        self.app = {role: app_client(user) for role, user in self.users.items()}
        self.pages = {role: page_client(user) for role, user in self.users.items()}


def api_client(user) -> APIClient:
    """The staff API's client sends a staff bearer token, as it does in production."""
    client = APIClient()
    if user is not None:
        token = tokens_issue(user=user, token_class=StaffRefreshToken)["access"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def app_client(user) -> APIClient:
    """The app sends the app's bearer token (the staff API refuses it, and back)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    return client


def page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# What each case sends: the objects in its path and its body (or query) ---------------------

Kwargs = Callable[[World], dict[str, int]]
PATHS: dict[str, Kwargs] = {
    "/api/mobile/v1/routes/<int:pk>/": lambda w: {"pk": w.route.pk},
    "/api/mobile/v1/routes/<int:pk>/finish/": lambda w: {"pk": w.route.pk},
    "/api/mobile/v1/routes/<int:pk>/start/": lambda w: {"pk": w.route.pk},
    "/api/mobile/v1/stops/<int:pk>/arrive/": lambda w: {"pk": w.stop.pk},
    "/api/mobile/v1/stops/<int:pk>/complete/": lambda w: {"pk": w.stop.pk},
    "/api/mobile/v1/stops/<int:pk>/fail/": lambda w: {"pk": w.stop.pk},
    "/api/mobile/v1/stops/<int:pk>/concern/": lambda w: {"pk": w.stop.pk},
    "/api/v1/readers/<int:pk>/concerns/": lambda w: {"pk": w.reader.pk},
    "/api/v1/concerns/<int:pk>/close/": lambda w: {"pk": w.concern.pk},
    "/api/v1/desk/inbox/<int:pk>/done/": lambda w: {"pk": w.reply.pk},
    "/api/v1/desk/incoming/<int:pk>/done/": lambda w: {"pk": w.call.pk},
    "/api/v1/family-cards/<int:pk>/": lambda w: {"pk": w.family.pk},
    "/api/v1/family-cards/<int:pk>/history/": lambda w: {"pk": w.family.pk},
    "/api/v1/family-cards/<int:pk>/reading-history/": lambda w: {"pk": w.family.pk},
    "/api/v1/items/<int:pk>/": lambda w: {"pk": w.shelf_copy.pk},
    "/api/v1/items/<int:pk>/status/": lambda w: {"pk": w.shelf_copy.pk},
    "/api/v1/loans/<int:pk>/renew/": lambda w: {"pk": w.loan.pk},
    "/api/v1/order-lines/<int:pk>/assign/": lambda w: {"pk": w.waiting_line.pk},
    "/api/v1/order-lines/<int:pk>/cancel/": lambda w: {"pk": w.waiting_line.pk},
    "/api/v1/order-lines/<int:pk>/suggestions/": lambda w: {"pk": w.waiting_line.pk},
    "/api/v1/order-lines/<int:pk>/unassign/": lambda w: {"pk": w.reserved_line.pk},
    "/api/v1/orders/<int:pk>/": lambda w: {"pk": w.new_order.pk},
    "/api/v1/orders/<int:pk>/cancel/": lambda w: {"pk": w.new_order.pk},
    "/api/v1/orders/<int:pk>/deliver/": lambda w: {"pk": w.scheduled.pk},
    "/api/v1/orders/<int:pk>/events/": lambda w: {"pk": w.new_order.pk},
    "/api/v1/orders/<int:pk>/fail/": lambda w: {"pk": w.scheduled.pk},
    "/api/v1/orders/<int:pk>/ready/": lambda w: {"pk": w.picking_order.pk},
    "/api/v1/orders/<int:pk>/requeue/": lambda w: {"pk": w.scheduled.pk},
    "/api/v1/orders/<int:pk>/start-picking/": lambda w: {"pk": w.new_order.pk},
    "/api/v1/plans/<int:pk>/": lambda w: {"pk": w.plan.pk},
    "/api/v1/plans/<int:pk>/progress/": lambda w: {"pk": w.plan.pk},
    "/api/v1/plans/<int:pk>/publish/": lambda w: {"pk": w.plan.pk},
    "/api/v1/plans/<int:pk>/revision/": lambda w: {"pk": w.plan.pk},
    "/api/v1/plans/<int:pk>/revision/publish/": lambda w: {"pk": w.plan.pk},
    "/api/v1/plans/<int:pk>/revision/discard/": lambda w: {"pk": w.plan.pk},
    "/api/v1/plans/<int:pk>/solve/": lambda w: {"pk": w.draft_plan.pk},
    "/api/v1/plans/<int:pk>/sheets.pdf": lambda w: {"pk": w.plan.pk},
    "/api/v1/readers/<int:pk>/": lambda w: {"pk": w.reader.pk},
    "/api/v1/readers/<int:pk>/due-back/": lambda w: {"pk": w.reader.pk},
    "/api/v1/readers/<int:pk>/history/": lambda w: {"pk": w.reader.pk},
    "/api/v1/readers/<int:pk>/geocode/choose/": lambda w: {"pk": w.reader.pk},
    "/api/v1/readers/<int:pk>/reading-history/": lambda w: {"pk": w.reader.pk},
    "/api/v1/routes/<int:pk>/": lambda w: {"pk": w.route.pk},
    "/api/v1/routes/<int:pk>/map.svg": lambda w: {"pk": w.route.pk},
    "/api/v1/routes/<int:pk>/resequence/": lambda w: {"pk": w.route.pk},
    "/api/v1/routes/<int:pk>/sheet.pdf": lambda w: {"pk": w.route.pk},
    "/api/v1/standing-plans/<int:pk>/": lambda w: {"pk": w.standing_plan.pk},
    "/api/v1/standing-plans/<int:pk>/occurrences/": lambda w: {"pk": w.standing_plan.pk},
    "/api/v1/standing-plans/<int:pk>/pauses/": lambda w: {"pk": w.standing_plan.pk},
    "/api/v1/standing-plans/<int:pk>/pauses/<int:pause_id>/":
        lambda w: {"pk": w.standing_plan.pk, "pause_id": w.pause.pk},
    "/api/v1/stops/<int:pk>/move/": lambda w: {"pk": w.stop.pk},
    "/api/v1/titles/<int:pk>/": lambda w: {"pk": w.title.pk},
    "/api/v1/stops/<int:pk>/pin/": lambda w: {"pk": w.stop.pk},
    "/api/v1/stops/<int:pk>/plan-again/": lambda w: {"pk": w.stop.pk},
    "/api/v1/plans/<int:pk>/live/": lambda w: {"pk": w.plan.pk},
    "/api/v1/volunteers/<int:pk>/": lambda w: {"pk": w.theirs.pk},
    "/api/v1/volunteers/<int:pk>/absences/": lambda w: {"pk": w.theirs.pk},
    "/api/v1/volunteers/<int:pk>/absences/<int:absence_id>/":
        lambda w: {"pk": w.theirs.pk, "absence_id": w.absence.pk},
    "/api/v1/volunteers/<int:pk>/availability/": lambda w: {"pk": w.theirs.pk},
    "/api/v1/volunteers/<int:pk>/shifts/": lambda w: {"pk": w.theirs.pk},
    "/api/v1/volunteers/<int:pk>/shifts/<int:shift_id>/":
        lambda w: {"pk": w.theirs.pk, "shift_id": w.shift.pk},
    "/desk/inbox/<int:pk>/call/": lambda w: {"pk": w.reply.pk},
    "/desk/inbox/<int:pk>/done/": lambda w: {"pk": w.reply.pk},
    "/desk/readers/<int:pk>/": lambda w: {"pk": w.reader.pk},
    "/desk/readers/<int:pk>/loans/<int:loan_id>/renew/":
        lambda w: {"pk": w.reader.pk, "loan_id": w.loan.pk},
    "/desk/readers/<int:pk>/order/": lambda w: {"pk": w.reader.pk},
    "/desk/readers/<int:pk>/orders/<int:order_id>/move/":
        lambda w: {"pk": w.reader.pk, "order_id": w.new_order.pk},
    "/picking/lines/<int:pk>/assign/": lambda w: {"pk": w.waiting_line.pk},
    "/picking/lines/<int:pk>/cancel/": lambda w: {"pk": w.waiting_line.pk},
    "/picking/lines/<int:pk>/substitute/": lambda w: {"pk": w.waiting_line.pk},
    "/picking/orders/<int:pk>/ready/": lambda w: {"pk": w.new_order.pk},
    "/plan/<int:plan_id>/sheets/": lambda w: {"plan_id": w.plan.pk},
}

Data = Callable[[World], Any]


def _ambiguous(reader: Reader) -> dict:
    """The geocoder found two places for the card (undone with the role's savepoint)."""
    Reader.objects.filter(pk=reader.pk).update(geocode_status="ambiguous", geocode_candidates=[
        {"lat": 54.78, "lon": 69.1, "label": "A"}, {"lat": 54.9, "lon": 69.3, "label": "B"}])
    return {"candidate": 1}

DATA: dict[tuple[str, str], Data] = {
    **{(f"/api/mobile/v1/{pattern}", "post"): (lambda w, body=body: body)
       for pattern, body in MOBILE_BODIES.items()},
    ("/api/mobile/v1/auth/token/", "post"): lambda w: {"phone": str(w.mine.user.phone),
                                                      "password": "not-the-password"},
    ("/api/mobile/v1/auth/refresh/", "post"): lambda w: {"refresh": "not-a-token"},
    ("/api/mobile/v1/auth/sign-out/", "post"): lambda w: {"refresh": "not-a-token"},
    ("/api/mobile/v1/auth/otp/request/", "post"): lambda w: {"phone": str(w.mine.user.phone)},
    ("/api/mobile/v1/auth/link/", "post"): lambda w: {"token": "not-a-link-token"},
    ("/api/v1/concerns/<int:pk>/close/", "post"): lambda w: {"note": "Позвонили дочери"},
    ("/api/v1/readers/<int:pk>/geocode/choose/", "post"): lambda w: _ambiguous(w.reader),
    ("/api/mobile/v1/auth/otp/verify/", "post"): lambda w: {"phone": str(w.mine.user.phone),
                                                           "code": "000000"},
    ("/api/v1/auth/token/", "post"): lambda w: {"username": w.users[LIBRARIAN].username,
                                               "password": "not-the-password"},
    ("/api/v1/auth/token/refresh/", "post"): lambda w: {"refresh": "not-a-token"},
    ("/api/v1/desk/calls/", "post"): lambda w: {"phone": w.phone, "reader": w.reader.pk,
                                               "outcome": "information"},
    ("/api/v1/desk/lookup/", "get"): lambda w: {"phone": w.phone},
    ("/api/v1/family-cards/", "post"): lambda w: {"name": "Семья Нуровых",
                                                 "branch": w.branch.pk},
    ("/api/v1/family-cards/<int:pk>/", "put"): lambda w: {"name": "Семья Нуровых",
                                                         "branch": w.branch.pk},
    ("/api/v1/family-cards/<int:pk>/", "patch"): lambda w: {"loan_limit": 12},
    ("/api/v1/items/", "post"): lambda w: {"title": w.title.pk, "barcode": "MX-0001",
                                          "branch": w.branch.pk},
    ("/api/v1/items/<int:pk>/", "patch"): lambda w: {"shelf_mark": "84(5Каз)"},
    ("/api/v1/items/<int:pk>/status/", "post"): lambda w: {"status": "lost"},
    ("/api/v1/order-lines/<int:pk>/assign/", "post"): lambda w: {"barcode":
                                                                w.shelf_copy.barcode},
    ("/api/v1/orders/", "post"): lambda w: {"reader": w.reader.pk,
                                           "lines": [{"title": w.title.pk}]},
    ("/api/v1/orders/<int:pk>/", "patch"): lambda w: {"note": "Звонить дочери"},
    ("/api/v1/orders/<int:pk>/deliver/", "post"): lambda w: {
        "delivered": [line.item.barcode for line in w.scheduled.lines.all()]},
    ("/api/v1/orders/<int:pk>/fail/", "post"): lambda w: {"reason": "not_home"},
    ("/api/v1/pick-lists/", "get"): lambda w: {"branch": w.branch.pk},
    ("/api/v1/plans/", "post"): lambda w: {"branch": w.branch.pk,
                                          "date": (w.today + datetime.timedelta(days=40))
                                          .isoformat()},
    ("/api/v1/plans/<int:pk>/solve/", "post"): lambda w: {"time_limit": 1},
    ("/api/v1/readers/", "post"): lambda w: {"branch": w.branch.pk, "last_name": "Нурова",
                                            "first_name": "Әйгерім", "category": "elderly"},
    ("/api/v1/readers/<int:pk>/", "put"): lambda w: {
        "branch": w.branch.pk, "last_name": OTHER_READER, "first_name": "Мария",
        "category": "disability_1"},
    ("/api/v1/readers/<int:pk>/", "patch"): lambda w: {"access_notes": "Код домофона 15"},
    ("/api/v1/readers/export/", "get"): lambda w: {"format": "csv"},
    ("/api/v1/readers/import/template/", "get"): lambda w: {"format": "xlsx"},
    ("/api/v1/returns/", "post"): lambda w: {"barcodes": [w.loan.item.barcode]},
    ("/api/v1/routes/<int:pk>/resequence/", "post"): lambda w: {"stops": [w.stop.pk]},
    ("/api/v1/standing-plans/", "post"): lambda w: {
        "reader": w.reader_without_plan.pk, "rrule": "FREQ=WEEKLY;BYDAY=TH",
        "starts_on": w.today.isoformat(), "window_start": "10:00", "window_end": "12:00"},
    ("/api/v1/standing-plans/<int:pk>/", "patch"): lambda w: {"note": "Звонить дочери"},
    ("/api/v1/standing-plans/<int:pk>/pauses/", "post"): lambda w: {
        "starts_on": (w.today + datetime.timedelta(days=20)).isoformat(),
        "ends_on": (w.today + datetime.timedelta(days=25)).isoformat()},
    ("/api/v1/stops/<int:pk>/move/", "post"): lambda w: {"route": w.my_route.pk,
                                                        "position": 1},
    ("/api/v1/stops/<int:pk>/pin/", "post"): lambda w: {"volunteer": w.theirs.pk},
    ("/api/v1/stops/<int:pk>/plan-again/", "post"): lambda w: {
        "date": (w.stop.plan.date + datetime.timedelta(days=1)).isoformat()},
    ("/api/v1/titles/", "post"): lambda w: {"title": "Қан мен тер", "authors": ["Нұрпейісов"]},
    ("/api/v1/titles/<int:pk>/", "patch"): lambda w: {"year": 1970},
    ("/api/v1/volunteers/", "post"): lambda w: {
        "username": "new.volunteer", "first_name": "Дана", "last_name": "Ахметова",
        "phone": "+77059990011", "branch": w.branch.pk},
    ("/api/v1/volunteers/<int:pk>/", "patch"): lambda w: {"capacity": 8},
    ("/api/v1/volunteers/<int:pk>/absences/", "post"): lambda w: {
        "starts_on": (w.today + datetime.timedelta(days=10)).isoformat(),
        "ends_on": (w.today + datetime.timedelta(days=11)).isoformat()},
    ("/api/v1/volunteers/<int:pk>/shifts/", "post"): lambda w: {
        "rrule": "FREQ=WEEKLY;BYDAY=SA", "starts_on": w.today.isoformat(),
        "start_time": "10:00", "end_time": "14:00"},
    ("/api/v1/twilio/sms/", "post"): lambda w: {"MessageSid": "SM1", "From": w.phone,
                                               "Body": "1"},
    ("/api/v1/twilio/status/", "post"): lambda w: {"MessageSid": "SM1",
                                                  "MessageStatus": "delivered"},
    ("/api/v1/twilio/voice/", "post"): lambda w: {"CallSid": "CA1", "From": w.phone},
    ("/desk/search/", "get"): lambda w: {"q": OTHER_READER},
    ("/desk/calls/", "post"): lambda w: {"phone": w.phone, "outcome": "information"},
    ("/desk/inbox/<int:pk>/call/", "post"): lambda w: {"outcome": "information"},
    ("/desk/new/", "post"): lambda w: {
        "last_name": "Новикова", "first_name": "Анна", "phone": "+77019990011",
        "street": "Абая", "house": "12", "category": "elderly", "language": "ru",
        "branch": w.branch.pk},
    ("/picking/", "get"): lambda w: {"branch": w.branch.pk},
    ("/picking/pdf/", "get"): lambda w: {"branch": w.branch.pk},
    ("/picking/scan/", "post"): lambda w: {"branch": w.branch.pk,
                                           "barcode": w.shelf_copy.barcode},
    ("/picking/lines/<int:pk>/assign/", "post"): lambda w: {"branch": w.branch.pk,
                                                           "barcode": w.shelf_copy.barcode},
    ("/picking/lines/<int:pk>/substitute/", "post"): lambda w: {"branch": w.branch.pk,
                                                               "title": w.loan.item.title_id},
    ("/picking/lines/<int:pk>/cancel/", "post"): lambda w: {"branch": w.branch.pk},
    ("/picking/orders/<int:pk>/ready/", "post"): lambda w: {"branch": w.branch.pk},
    ("/desk/titles/", "get"): lambda w: {"q": w.title.title},
    ("/desk/readers/<int:pk>/order/", "post"): lambda w: {"action": "review",
                                                         "title": [w.title.pk]},
    ("/desk/readers/<int:pk>/orders/<int:order_id>/move/", "post"): lambda w: {
        "preferred_date": (w.today + datetime.timedelta(days=5)).isoformat(),
        "window": "10:00-12:00"},
}
# How a body is sent when it is not JSON.
FORM, TWILIO, MULTIPART = "form", "twilio", "multipart"
UPLOADS: dict[str, Data] = {
    "/api/v1/readers/import/": lambda w: {
        "file": csv_file("readers.csv", "branch;last_name;first_name;category\n"
                                        f"{w.branch.code};Нурова;Әйгерім;elderly\n"),
        "dry_run": "true"},
    "/api/v1/titles/import/": lambda w: {"file": csv_file("titles.csv", "title\nАбай жолы\n"),
                                         "dry_run": "true"},
}


def csv_file(name: str, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def url_of(pattern: str, kwargs: dict[str, int]) -> str:
    url = pattern
    for name, value in kwargs.items():
        url = url.replace(f"<int:{name}>", str(value))
    assert "<" not in url, f"{pattern}: no object for {url}"
    return url


def ask(world: World, role: str, pattern: str, method: str):
    url = url_of(pattern, PATHS.get(pattern, lambda w: {})(world))
    data = DATA.get((pattern, method), lambda w: None)(world)
    if not pattern.startswith("/api/"):
        client = world.pages[role]
        if method == "get":
            return client.get(url, data or {})
        return getattr(client, method)(url, data or {})
    client = world.app[role] if pattern.startswith("/api/mobile/") else world.api[role]
    if method == "get":
        return client.get(url, data or {})
    if pattern.startswith("/api/v1/twilio/"):
        return client.post(url, urlencode(data or {}),
                           content_type="application/x-www-form-urlencoded")
    if pattern in UPLOADS:
        return client.post(url, UPLOADS[pattern](world), format=MULTIPART)
    return getattr(client, method)(url, data or {}, format="json",
                                   HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def verdict(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return LOGIN
    return response.status_code


def leaks(role: str, pattern: str, response) -> list[str]:
    """What the answer holds that this role must never see."""
    body = (b"".join(response.streaming_content) if response.streaming
            else response.content)
    text = body.decode("utf-8", errors="replace")
    found = []
    if role != LIBRARIAN and DOCUMENT_NUMBER in text:
        found.append("the eligibility document")
    if role in (ANONYMOUS, COORDINATOR, VOLUNTEER) and any(d in text for d in BIRTH_DATES):
        found.append("the birth date")
    if role in (ANONYMOUS, VOLUNTEER):
        if OTHER_READER in text:
            found.append("another volunteer's reader")
        if OTHER_ABSENCE in text:
            found.append("another volunteer's absence")
    found += [f"the field {key!r}" for key in forbidden_keys(role, pattern, response)]
    if not pattern.startswith(CATALOG):
        found += [f"the value {value!r}" for value in FIELDS.get(role, {}).get("values", ())
                  if value in text]
    if (pattern.startswith("/api/") and response.status_code in (401, 403, 404)
            and response.get("Content-Type", "").startswith("application/json")
            and "code" not in response.json()):
        found.append("an error without a code")
    return found


def masked(value) -> bool:
    """A card history's change whose values the role sees as ***."""
    return (isinstance(value, dict) and set(value) == {"old", "new"}
            and all(v in ("***", None, "") for v in value.values()))


def keys_of(body) -> set[str]:
    """Every key of a JSON body, at any depth (a masked history change does not count)."""
    if isinstance(body, dict):
        return ({k for k, value in body.items() if not masked(value)}
                | {k for value in body.values() for k in keys_of(value)})
    if isinstance(body, list):
        return {k for value in body for k in keys_of(value)}
    return set()


def forbidden_keys(role: str, pattern: str, response) -> set[str]:
    if (response.streaming or pattern.startswith(CATALOG)
            or not response.get("Content-Type", "").startswith("application/json")):
        return set()
    keys = keys_of(response.json()) & FIELDS.get(role, {}).get("keys", frozenset())
    return {key for key in keys if (pattern, key) not in ECHOED}


class _Undo(Exception):
    """Raised to roll a role's savepoint back."""


def answers(world: World, pattern: str, method: str) -> tuple[dict[str, int | str], list[str]]:
    got, problems = {}, []
    for role in ROLES:
        cache.clear()  # throttle counters
        try:
            with transaction.atomic():
                response = ask(world, role, pattern, method)
                got[role] = verdict(response)
                problems += [f"{role}: {leak}" for leak in leaks(role, pattern, response)]
                raise _Undo
        except _Undo:
            pass
    return got, problems


# The tests ---------------------------------------------------------------------------------------


def test_every_endpoint_has_an_entry():
    """A new endpoint or method needs its row here before it ships; a removed one, its row
    removed."""
    in_matrix = {(pattern, method) for pattern, by_method in MATRIX.items()
                 for method in by_method}
    assert sorted(set(CASES) - in_matrix) == [], "endpoints without an entry in MATRIX"
    assert sorted(in_matrix - set(CASES)) == [], "entries for endpoints that are gone"
    assert all(set(answer) == set(ROLES) for by_method in MATRIX.values()
               for answer in by_method.values())
    assert sorted(PATHS) == sorted(p for p in MATRIX if "<" in p), "an object for every path"


def test_the_matrix_covers_both_apis_and_the_pages():
    patterns = {pattern for pattern, _method in CASES}
    for prefix in ("/api/v1/", "/api/mobile/v1/", "/desk/", "/picking/", "/plan/", "/reports/"):
        assert any(p.startswith(prefix) for p in patterns), prefix
    assert not any(p.startswith("/admin/") for p in patterns)


@pytest.mark.parametrize("pattern, method", CASES, ids=[f"{m} {p}" for p, m in CASES])
def test_each_role_gets_the_answer_written_down(db, pattern, method):
    expected = MATRIX.get(pattern, {}).get(method)
    assert expected is not None, f"no entry in MATRIX for {method.upper()} {pattern}"
    got, problems = answers(World(), pattern, method)
    assert got == expected
    assert problems == []


LIBRARIAN_ONLY = {
    ("/api/v1/readers/import/", "post"), ("/api/v1/readers/import/template/", "get"),
    ("/api/v1/readers/export/", "get"), ("/api/v1/card-access/", "get"),
    ("/api/v1/returns/", "post"), ("/api/v1/titles/import/", "post"),
    ("/api/v1/readers/<int:pk>/concerns/", "get"), ("/api/v1/concerns/<int:pk>/close/", "post"),
}


def test_librarian_only_data_is_out_of_reach():
    """Reader files (with eligibility documents), the card access log, returns and the
    catalog import: librarians only, by the table above."""
    only = {(pattern, method) for pattern, by_method in MATRIX.items()
            for method, answer in by_method.items()
            if pattern.startswith("/api/v1/") and answer[LIBRARIAN] in (200, 201)
            and all(answer[role] in (401, 403) for role in ROLES if role != LIBRARIAN)}
    assert LIBRARIAN_ONLY - only == set()


def test_volunteers_use_the_app_and_only_for_their_own_day():
    """By the table: a volunteer gets 403 from every staff endpoint but signing in and
    `auth/me/`, a 404 from the app for another volunteer's route or stop, and no page."""
    for pattern, by_method in MATRIX.items():
        for method, answer in by_method.items():
            if pattern.startswith("/api/v1/auth/"):
                continue
            if pattern.startswith("/api/v1/twilio/"):
                assert answer[VOLUNTEER] == 403  # unsigned, as for everyone
            elif pattern.startswith("/api/v1/"):
                assert answer[VOLUNTEER] == 403, (method, pattern)
            elif pattern.startswith("/api/mobile/v1/auth/"):
                continue
            elif pattern.startswith("/api/mobile/v1/"):
                assert all(answer[role] == 403 for role in STAFF), (method, pattern)
                if "<int:pk>" in pattern:  # the other volunteer's route or stop
                    assert answer[VOLUNTEER] == 404, (method, pattern)
            else:
                assert answer[VOLUNTEER] == 403, (method, pattern)


def test_a_volunteer_sees_their_own_day_and_nothing_of_another(db):
    """The other side of the leak checks above: the volunteer's own route and absence are
    there, the other volunteer's are not."""
    world = World()
    AbsenceFactory(volunteer=world.mine, reason="Экзамен в колледже",
                   starts_on=world.today + datetime.timedelta(days=5),
                   ends_on=world.today + datetime.timedelta(days=5))
    app = world.app[VOLUNTEER]
    routes = app.get("/api/mobile/v1/me/routes/").json()["routes"]
    assert [r["id"] for r in routes] == [world.my_route.pk]
    availability = app.get("/api/mobile/v1/me/availability/").content.decode()
    assert "Экзамен в колледже" in availability and OTHER_ABSENCE not in availability
    mine = app.get(f"/api/mobile/v1/routes/{world.my_route.pk}/")
    assert mine.status_code == 200
    assert OTHER_READER not in mine.content.decode()
    assert app.get(f"/api/mobile/v1/routes/{world.route.pk}/").status_code == 404


@pytest.mark.parametrize("role", [None, VOLUNTEER, OPERATOR])
def test_admin_sends_users_without_admin_access_to_its_login(client, db, role):
    """The admin has its own permissions (is_staff and model permissions); a volunteer or an
    operator without admin access lands on its sign-in page, like an anonymous visitor."""
    if role is not None:
        client.force_login(UserFactory(role=role, is_staff=False))
    for url in ("/admin/", "/admin/readers/reader/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
