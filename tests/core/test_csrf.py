"""Every POST route refuses a request without a CSRF token (400), except declared exemptions."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.core import csrf as csrf_policy
from lms.extensions import csrf


@pytest.fixture(scope="module")
def csrf_app(database_url, tmp_path_factory):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=database_url,
        INSTANCE_PATH=str(tmp_path_factory.mktemp("csrf")),
        WTF_CSRF_ENABLED=True,
    )
    yield app
    app.extensions["lms.db"].engine.dispose()


def post_rules(app):
    return [r for r in app.url_map.iter_rules() if "POST" in r.methods]


def test_every_post_route_needs_a_csrf_token(csrf_app, make_user):
    adapter = csrf_app.url_map.bind("localhost")
    client = csrf_app.test_client()
    refused = []
    for rule in post_rules(csrf_app):
        view = csrf_app.view_functions[rule.endpoint]
        if csrf_policy.is_exempt(view):
            continue
        url = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1), method="POST")
        resp = client.post(url, data={"anything": "x"})
        assert resp.status_code == 400, f"POST {url} without a CSRF token gave {resp.status_code}"
        refused.append(rule.endpoint)
    assert {"auth.login", "auth.logout", "auth.set_language", "admin.user_new"} <= set(refused)


def test_refusal_is_explained_in_vietnamese(csrf_app):
    resp = csrf_app.test_client().post("/login", data={"login": "a", "password": "b"})
    assert resp.status_code == 400
    assert "thiếu mã bảo mật" in resp.get_data(as_text=True)


def test_exemptions_only_through_the_allowlist_with_a_reason(csrf_app):
    assert set(csrf._exempt_views) <= set(csrf_policy.EXEMPT.keys())
    assert not csrf._exempt_blueprints
    assert all(reason.strip() for reason in csrf_policy.EXEMPT.values())
    with pytest.raises(ValueError, match="reason"):
        csrf_policy.csrf_exempt(" ")


def test_token_in_header_is_accepted_for_javascript(csrf_app, make_user):
    """JSON autosave sends the token from <meta name="csrf-token"> in X-CSRFToken."""
    client = csrf_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf-token" content="')[1].split('"')[0]
    resp = client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 302
