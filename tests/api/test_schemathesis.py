"""schemathesis against the HR API through the WSGI app: no 5xx, every response conforms to openapi.json.

The schema is read from an app built at import (the document needs no database: it comes from the
code); the calls go to the test session's app with a token of the ``hr`` world. Bounded
(``max_examples``) and derandomized, so the run takes seconds and a failure shows again next time.
(The lazy ``from_fixture`` loader of schemathesis 4.32 reads a pytest-internal attribute that
pytest 9 no longer has, hence the eager loader.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lms import create_app
from tests.api.conftest import HrWorld, bearer


def _document() -> dict[str, Any]:
    spec_app = create_app("testing", SQLALCHEMY_DATABASE_URL="sqlite://")
    document: dict[str, Any] = spec_app.test_client().get("/api/v1/openapi.json").get_json()
    return document


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def generous_limit(app: Flask) -> Iterator[None]:
    limit = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "100000 per minute"  # the generated calls are not an attack
    yield
    app.config["API_RATE_LIMIT"] = limit


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: Any, app: Flask, hr: HrWorld, generous_limit: None) -> None:
    # Every other default check runs (no 5xx, status codes, content types, response schemas and
    # headers documented, invalid data rejected, auth not ignored). "Schema-valid data accepted" is
    # left out: what the import checks against the database (the unit exists and lies in the
    # token's subtree, an e-mail is not someone else's) and an opaque cursor's content cannot be
    # said in JSON Schema, so a schema-valid request may rightly get a 422 or 404 problem document.
    case.operation.schema.app = app  # the session's app (with the test's database transaction)
    case.call_and_validate(
        base_url="http://localhost/api/v1",
        app=app,
        headers=bearer(hr.token),
        excluded_checks=[positive_data_acceptance],
    )
