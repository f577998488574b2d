"""Fuzzing the staff API (/api/v1/) and the volunteers' API (/api/mobile/v1/) against the
OpenAPI schema the service itself serves at /api/schema/, with schemathesis.

Who: the staff API as a librarian, an operator and a coordinator; the mobile API as a
volunteer. Each signs in with a real JWT (Authorization: Bearer) on every request.

What is checked on every answer, for every operation of the schema:

- no 5xx (`not_a_server_error`);
- the status code is one the operation documents (`status_code_conformance`);
- the content type and the body match the documented ones (`content_type_conformance`,
  `response_schema_conformance`), PDF, XLSX, CSV and SVG downloads included;
- every 4xx body is the one error shape {"code", "message", "fields"} (`error_shape` here).

How: schemathesis' examples, coverage (boundary values, wrong types, missing fields, methods
the schema does not list) and fuzzing phases. A small district (tests/fuzz/world.py) is built
once per module; `{id}` in a path is a real object's id about half the time. Each example runs
in a savepoint that is rolled back, and the cache (throttle counters) is emptied before it, so
examples do not depend on each other. Generation is derandomized with a fixed seed (FUZZ_SEED),
so a run does not change from one time to the next, on SQLite as on PostgreSQL.

How much: FUZZ_EXAMPLES examples per operation in the fuzzing phase (15 by default; `make
fuzz` runs 300). The coverage phase runs once per staff operation, as the first role allowed
to call it (librarian, then coordinator, then operator), and for the volunteer on the mobile
API; with FUZZ_COVERAGE=all (`make fuzz`) it runs for every role. An operation the role may not
call gets 3 examples: the role check comes before the input is read, so they show the 403.

Exclusions: none. No operation is left out and no check is switched off. Not exercised:
- work that runs after a commit (messages to Twilio), since every example is rolled back;
- throttling and lockouts (429): the counters start at zero for each example; their 429
  answers are checked in tests/mobile_api/test_auth.py and tests/accounts/test_signin.py.
The planner (which runs in-process in tests) searches for 0.05 s whatever time_limit asks for
(up to 600 s): the answer's shape does not depend on it (tests/fuzz/conftest.py).
"""
from __future__ import annotations

import os
import re
from types import SimpleNamespace

import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django.urls import resolve
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.accounts.tokens import AppRefreshToken, StaffRefreshToken, tokens_issue
from tests.fuzz.world import REAL_IDS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
DENIED_EXAMPLES = 3
SEED = int(os.environ.get("FUZZ_SEED", "20261125"))
COVERAGE_FOR_ALL = os.environ.get("FUZZ_COVERAGE", "") == "all"
STAFF_ROLES = ("librarian", "coordinator", "operator")  # the order coverage is handed out in
METHODS = ("get", "put", "patch", "post", "delete")

application = get_wsgi_application()
RAW_SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", application).raw_schema


def _operations(prefix: str) -> list[tuple[str, str, dict]]:
    return [(path, method, operation)
            for path, item in RAW_SCHEMA["paths"].items() if path.startswith(prefix)
            for method, operation in item.items() if method in METHODS]


def _allowed(role: str, path: str, method: str) -> bool:
    """Whether the role gets past the view's permission classes (object checks aside)."""
    view = resolve(re.sub(r"\{\w+\}", "1", path)).func.cls
    user = SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=False,
                           _kniga_roles=frozenset({role}))
    request = SimpleNamespace(method=method.upper(), user=user)
    return all(permission().has_permission(request, None)
               for permission in view.permission_classes)


def _coverage_role(path: str, method: str) -> str:
    return next((role for role in STAFF_ROLES if _allowed(role, path, method)), STAFF_ROLES[0])


def load(prefix: str, role: str) -> schemathesis.schemas.BaseSchema:
    """The schema's operations under `prefix`, configured for fuzzing as `role`."""
    denied, covered_by_another = [], []
    if prefix.startswith("/api/v1/"):
        for path, method, operation in _operations(prefix):
            if not _allowed(role, path, method):
                denied.append(operation["operationId"])
            elif not COVERAGE_FOR_ALL and _coverage_role(path, method) != role:
                covered_by_another.append(operation["operationId"])
    config = {
        "seed": SEED,
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            # We send the role's own token; made-up credentials would only ever answer 401.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
        "operations": [],
    }
    if denied:
        # The role check comes before the input is read: a few tries show the 403 is right.
        config["operations"].append({
            "include-operation-id": denied, "generation": {"max-examples": DENIED_EXAMPLES},
            "phases": {"coverage": {"enabled": False}}})
    if covered_by_another:
        config["operations"].append({"include-operation-id": covered_by_another,
                                     "phases": {"coverage": {"enabled": False}}})
    # Only the paths under the prefix: `include()` would be undone by the per-operation config.
    paths = {path: item for path, item in RAW_SCHEMA["paths"].items() if path.startswith(prefix)}
    schema = schemathesis.openapi.from_dict({**RAW_SCHEMA, "paths": paths},
                                            config=SchemathesisConfig.from_dict(config))
    schema.app = application
    schema.hook(before_generate_path_parameters)
    return schema


def before_generate_path_parameters(context, strategy):
    path = context.operation.path
    names = re.findall(r"\{(\w+)\}", path)
    if not names:
        return strategy
    real = st.fixed_dictionaries({name: _real_ids(_kind_of(path, name)) for name in names})
    return st.one_of(real, strategy)


def _kind_of(path: str, name: str) -> str:
    match = re.search(r"/([\w-]+)/\{" + name + r"\}", path)
    return match.group(1) if match else name


def _real_ids(kind: str):
    # Deferred: the ids exist only once the module's district is built.
    return st.deferred(lambda: st.sampled_from(REAL_IDS.get(kind) or [1]))


def error_shape(ctx, response, case):
    """Every 4xx answer is {"code", "message", "fields"} (an import report may come along)."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert isinstance(body, dict), f"the error body is not an object: {body!r}"
    assert {"code", "message", "fields"} <= set(body), f"error body keys: {sorted(body)}"
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str), body
    assert isinstance(body["fields"], dict), body
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, error_shape]


def exercise(case, user, token_class=StaffRefreshToken) -> None:
    """Each API with its own kind of token (backend/accounts/tokens.py)."""
    token = tokens_issue(user=user, token_class=token_class)["access"]
    headers = {"Authorization": f"Bearer {token}"}
    cache.clear()
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS, headers=headers)


# The database fixture is per test on purpose (each example has its own savepoint); the
# timing health checks would make a slow CI machine fail for nothing.
fuzz_settings = settings(suppress_health_check=list(HealthCheck))


@load("/api/v1/", "librarian").parametrize()
@fuzz_settings
def test_staff_api_as_librarian(case, world, db):
    exercise(case, world.users["librarian"])


@load("/api/v1/", "coordinator").parametrize()
@fuzz_settings
def test_staff_api_as_coordinator(case, world, db):
    exercise(case, world.users["coordinator"])


@load("/api/v1/", "operator").parametrize()
@fuzz_settings
def test_staff_api_as_operator(case, world, db):
    exercise(case, world.users["operator"])


@load("/api/mobile/v1/", "volunteer").parametrize()
@fuzz_settings
def test_mobile_api_as_volunteer(case, world, db):
    exercise(case, world.users["volunteer"], AppRefreshToken)
