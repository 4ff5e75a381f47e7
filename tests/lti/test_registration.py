"""LTI Dynamic Registration against the test platform's openid-configuration and registration endpoint."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lms.lti.models import Platform as PlatformRow
from tests.conftest import login
from tests.lti.conftest import TOOL, begin
from tests.lti.platform import Platform


@pytest.fixture
def restore_tool(platform: Platform) -> Iterator[None]:
    """Registration replaces the platform's record of the tool: put the session's one back afterwards."""
    saved = copy.deepcopy(platform.tool)
    yield
    platform.tool = saved


def test_a_platform_registers_the_tool_from_one_url_then_launches(
    app: Any, session: Any, platform: Platform, make_user: Any, make_course: Any, restore_tool: None
) -> None:
    admin_client = app.test_client()
    login(admin_client, make_user("admin"))
    page = admin_client.post("/admin/lti/registration-url").get_data(as_text=True).replace("<wbr>", "")
    url = re.search(r'<code id="registration-url">([^<]+)</code>', page).group(1)
    assert url.startswith(f"{TOOL}/lti/register/")
    path = url.removeprefix(TOOL)
    platform.registration_tokens.add("reg-token-1")
    conf_url = f"{platform.base_url}/.well-known/openid-configuration"
    # The platform opens the URL (no session of ours): a confirmation page, then the registration.
    moodle = app.test_client()
    confirm = moodle.get(
        path, query_string={"openid_configuration": conf_url, "registration_token": "reg-token-1"}
    )
    assert confirm.status_code == 200
    assert platform.issuer in confirm.get_data(as_text=True)
    done = moodle.post(path, data={"openid_configuration": conf_url, "registration_token": "reg-token-1"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "lti-close.js" in done.get_data(as_text=True)
    sent = platform.registrations[-1]
    assert sent["initiate_login_uri"] == f"{TOOL}/lti/login"
    assert sent["redirect_uris"] == [f"{TOOL}/lti/launch"]
    assert sent["jwks_uri"] == f"{TOOL}/lti/jwks.json"
    row = session.scalars(select(PlatformRow).where(PlatformRow.client_id == platform.tool.client_id)).one()
    assert row.issuer == platform.issuer
    assert row.deployment_ids == ["dep-dyn-1"]
    assert row.auth_login_url == f"{platform.base_url}/auth"
    assert row.access_token_url == f"{platform.base_url}/token"
    # The URL worked once.
    again = moodle.post(path, data={"openid_configuration": conf_url, "registration_token": "reg-token-1"})
    assert again.status_code == 403
    assert "đã được dùng" in again.get_data(as_text=True)
    # And the new registration launches.
    course = make_course(lessons=1)
    hint = {
        "type": "resource",
        "user": "stu-1",
        "link": "rl-dyn",
        "target_link_uri": f"{TOOL}/courses/{course.slug}",
    }
    _, state, nonce = begin(moodle, platform, hint)
    launched = moodle.post(
        "/lti/launch", data={"id_token": platform.sign(platform.id_token_claims(hint, nonce)), "state": state}
    )
    assert launched.status_code == 303


def test_a_wrong_configuration_or_token_is_refused_clearly(
    app: Any, session: Any, platform: Platform, make_user: Any
) -> None:
    from lms.lti.registration import create_token

    token = create_token(session, by=make_user("admin"))
    client = app.test_client()
    resp = client.get(
        f"/lti/register/{token}", query_string={"openid_configuration": f"{platform.base_url}/jwks"}
    )
    assert resp.status_code == 400
    assert "OpenID" in resp.get_data(as_text=True)
    resp = client.post(
        f"/lti/register/{token}",
        data={
            "openid_configuration": f"{platform.base_url}/.well-known/openid-configuration",
            "registration_token": "wrong",
        },
    )
    assert resp.status_code == 502
    assert "từ chối đăng ký" in resp.get_data(as_text=True)
    assert client.get("/lti/register/not-a-token").status_code == 404
