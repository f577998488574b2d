"""Checking an answer against the OpenAPI schema the project serves (/api/schema/)."""
from __future__ import annotations

import functools

import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from schemathesis.core.transport import Response


@functools.cache
def api_schema():
    return schemathesis.openapi.from_dict(
        SchemaGenerator().get_schema(request=None, public=True))


def assert_documented(response, method: str, path: str) -> None:
    """The answer's status is one the operation documents, and its body and content type
    are the documented ones. `path` is the schema's path, e.g. /api/v1/readers/{id}/."""
    operation = api_schema()[path][method.upper()]
    documented = sorted(operation.definition.raw["responses"])
    assert str(response.status_code) in documented, (
        f"{method.upper()} {path} answered {response.status_code}; documented: {documented}")
    request = requests.Request(method.upper(), f"http://testserver{path}").prepare()
    operation.validate_response(Response(
        status_code=response.status_code,
        headers={key: [value] for key, value in response.headers.items()},
        content=response.content, request=request, elapsed=0.0, verify=True))
