"""Every refused sign-in: a clear page (Vietnamese first), no account or identity written, not signed in.

The provider is real; the faults are made the way they happen: a tampered or missing state, a code
used twice, a site registered under another client (wrong audience), a token that has expired, a
token signed by a foreign key, a nonce that does not match, a provider that cannot be reached.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.sso.conftest import come_back, counts, sign_in, start
from tests.sso.op_server import start_provider


def _with(url: str, **params: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in params.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"{parts.path}?{urlencode(query)}"


def _refused(client, session, response, code: str, status: int = 400) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:300]
    assert f'data-sso-error="{code}"' in page
    assert client.get("/account").status_code == 302  # not signed in
    return page


@pytest.fixture
def linked_user(make_user):
    """An account the provider's "nguyen.van.an" would be linked to (same verified e-mail)."""
    return make_user(email="an.nv@tinh.example.vn")


def test_tampered_state(client, session, oidc_op, linked_user):
    callback = oidc_op.sign_in(start(client), "nguyen.van.an")
    before = counts(session)
    page = _refused(client, session, client.get(_with(callback, state="forged-state")), "state")
    # Vietnamese first, English second (the visitor has not chosen a language yet).
    assert page.index("Không có gì bị thay đổi") < page.index('lang="en"') < page.index("Nothing was changed")
    assert counts(session) == before


def test_missing_state(client, session, oidc_op, linked_user):
    callback = oidc_op.sign_in(start(client), "nguyen.van.an")
    before = counts(session)
    _refused(client, session, client.get(_with(callback, state=None)), "state")
    assert counts(session) == before


def test_callback_from_another_browser(app, client, session, oidc_op, linked_user):
    """A callback URL opened in a browser that did not start the sign-in (login CSRF)."""
    callback = oidc_op.sign_in(start(client), "nguyen.van.an")
    before = counts(session)
    _refused(app.test_client(), session, app.test_client().get(_with(callback)), "state")
    assert counts(session) == before


def test_replayed_code(client, session, oidc_op, linked_user):
    callback = oidc_op.sign_in(start(client), "nguyen.van.an")
    assert come_back(client, callback).status_code == 302  # the code's one use
    client.post("/logout")
    before = counts(session)
    # A new sign-in is under way in this browser; the old code is sent back with its state.
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    page = _refused(client, session, client.get(_with(callback, state=state)), "code")
    assert "đã được dùng" in page
    assert counts(session) == before


@pytest.mark.parametrize(
    ("client_id", "code"),
    [("lms-wrong-aud", "audience"), ("lms-expired", "expired"), ("lms-bad-sig", "signature")],
)
def test_id_token_refused(app, client, session, oidc_op, linked_user, monkeypatch, client_id, code):
    monkeypatch.setitem(app.config, "OIDC_CLIENT_ID", client_id)
    before = counts(session)
    _refused(client, session, sign_in(client, oidc_op, "nguyen.van.an"), code)
    assert counts(session) == before


def test_nonce_mismatch(client, session, oidc_op, linked_user):
    authorization = start(client)
    with client.session_transaction() as data:
        key = next(k for k in data if k.startswith("_state_province_"))
        state = dict(data[key])
        state["data"] = {**state["data"], "nonce": "not-the-nonce-sent"}
        data[key] = state
    callback = oidc_op.sign_in(authorization, "nguyen.van.an")
    before = counts(session)
    _refused(client, session, come_back(client, callback), "signature")
    assert counts(session) == before


def test_provider_unreachable(app, client, session, monkeypatch):
    # A port nothing listens on (the provider is down or the network is cut).
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "http://127.0.0.1:9")
    before = counts(session)
    _refused(client, session, client.post("/sso/login"), "unreachable", status=502)
    assert counts(session) == before


def test_cancelled_at_the_provider(client, session, oidc_op):
    authorization = start(client)
    state = parse_qs(urlsplit(authorization).query)["state"][0]
    before = counts(session)
    response = client.get(f"/sso/callback?error=access_denied&state={state}")
    _refused(client, session, response, "denied")
    assert counts(session) == before


def test_an_older_sign_in_of_the_same_browser_is_superseded(client, session, oidc_op, linked_user):
    first = start(client)
    second = start(client)
    with client.session_transaction() as data:
        assert len([k for k in data if k.startswith("_state_province_")]) == 1  # the cookie stays small
    before = counts(session)
    _refused(client, session, come_back(client, oidc_op.sign_in(first, "nguyen.van.an")), "state")
    assert counts(session) == before
    assert come_back(client, oidc_op.sign_in(second, "nguyen.van.an")).status_code == 302


def test_provider_goes_away_before_the_code_is_exchanged(
    app, client, session, tmp_path, monkeypatch, make_user
):
    """The person signed in at the provider, which then stops: the token request cannot be made."""
    make_user(email="an.nv@tinh.example.vn")
    second = start_provider(tmp_path / "provider.log")
    try:
        for key, value in second.settings().items():
            monkeypatch.setitem(app.config, key, value)
        callback = second.sign_in(start(client), "nguyen.van.an")
    finally:
        second.stop()
    before = counts(session)
    _refused(client, session, come_back(client, callback), "unreachable", status=502)
    assert counts(session) == before


def test_english_visitor_gets_the_english_page_once(client, session, oidc_op):
    with client.session_transaction() as data:
        data["lang"] = "en"
    page = _refused(client, session, client.get("/sso/callback?code=x&state=y"), "state")
    assert page.count("Nothing was changed") == 1
    assert "Không có gì bị thay đổi" not in page
