"""Single sign-on tests: the app is registered as client "lms" at the real test provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms import create_app
from lms.auth.models import User
from lms.sso.models import OidcIdentity
from tests.sso.op_server import OpenIDProvider


@pytest.fixture(scope="session")
def app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, oidc_op: OpenIDProvider
) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("sso-instance")
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URL=database_url, INSTANCE_PATH=str(instance), **oidc_op.settings()
    )
    yield app
    app.extensions["lms.db"].engine.dispose()


def start(client: FlaskClient) -> str:
    """Press "sign in with the province account": the provider's authorization URL."""
    response = client.post("/sso/login")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def come_back(client: FlaskClient, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: FlaskClient, op: OpenIDProvider, login: str) -> Any:
    """The whole round trip: our start, the provider's login form, our callback."""
    return come_back(client, op.sign_in(start(client), login))


def counts(session: Any) -> tuple[int, int]:
    """(accounts, linked identities): error paths must leave both unchanged."""
    return (
        session.scalar(select(func.count(User.id))),
        session.scalar(select(func.count(OidcIdentity.id))),
    )
