"""The LTI test platform (tests/lti/platform.py) runs once per session on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from lms.lti import keys
from lms.lti.models import Deployment
from lms.lti.models import Platform as PlatformRow
from tests.lti.platform import Platform

TOOL = "http://localhost"  # the Flask test client's host


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    p = Platform()
    p.start()
    p.tool.redirect_uris = [f"{TOOL}/lti/launch"]
    p.tool.login_url = f"{TOOL}/lti/login"
    yield p
    p.stop()


@pytest.fixture
def registration(session: Any, platform: Platform) -> PlatformRow:
    """The platform registered with the tool (as an admin would), and the tool's key pasted into the
    platform (Moodle's "RSA key" option: the test client serves no HTTP the platform could fetch)."""
    row = PlatformRow(
        name="Moodle thử nghiệm",
        issuer=platform.issuer,
        client_id=platform.tool.client_id,
        auth_login_url=f"{platform.base_url}/auth",
        access_token_url=f"{platform.base_url}/token",
        jwks_url=f"{platform.base_url}/jwks",
        deployments=[Deployment(deployment_id=platform.tool.deployment_id)],
    )
    session.add(row)
    session.flush()
    keys.signing_key(session)
    platform.tool.jwks = keys.published_jwks(session, keys_grace())
    return row


def keys_grace() -> Any:
    import datetime as dt

    return dt.timedelta(hours=72)


def begin(client: FlaskClient, platform: Platform, hint: dict[str, Any]) -> tuple[str, str, str]:
    """Login initiation at the tool → (the platform URL it redirects to, state, nonce)."""
    resp = client.post("/lti/login", data=platform.login_params(hint))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    location = resp.headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return location, query["state"], query["nonce"]
