from __future__ import annotations

from sqlalchemy import select

from lms.core.models import AuditEvent
from tests.conftest import PASSWORD


def test_login_with_username_or_email_and_logout(client, make_user, session):
    user = make_user(username="huong", email="Huong@Example.test")
    for login in ("huong", "huong@example.test"):
        resp = client.post("/login", data={"login": login, "password": PASSWORD})
        assert resp.status_code == 302, login
        assert client.get("/").status_code == 200
        assert client.post("/logout").status_code == 302
        assert client.get("/").status_code == 302  # back to login
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject == f"user:{user.id}")).all()
    assert actions.count("login") == 2


def test_wrong_password_and_unknown_user_get_same_answer(client, make_user):
    make_user(username="lan")
    wrong = client.post("/login", data={"login": "lan", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"login": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    msg = "Tên đăng nhập/thư điện tử hoặc mật khẩu không đúng."
    assert msg in wrong.get_data(as_text=True)
    assert msg in unknown.get_data(as_text=True)


def test_login_throttled_after_ten_failures(client, make_user):
    make_user(username="tuan")
    for _ in range(10):
        assert client.post("/login", data={"login": "tuan", "password": "bad-password-x"}).status_code == 200
    resp = client.post("/login", data={"login": "tuan", "password": PASSWORD})
    assert resp.status_code == 429
    assert "Bạn đã thử quá nhiều lần" in resp.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(client, make_user):
    make_user(username="mai", is_active=False)
    resp = client.post("/login", data={"login": "mai", "password": PASSWORD})
    assert resp.status_code == 200


def test_session_id_changes_on_login(client, make_user):
    make_user(username="nam")
    with client.session_transaction() as sess:
        sess["marker"] = "before-login"
    client.post("/login", data={"login": "nam", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "marker" not in sess


def test_logout_only_by_post(client, make_user):
    make_user(username="post")
    client.post("/login", data={"login": "post", "password": PASSWORD})
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # still logged in


def test_nothing_from_the_pre_login_session_survives(client, make_user):
    """Session fixation: values planted before login (e.g. a known CSRF secret) are dropped."""
    make_user(username="fix")
    with client.session_transaction() as sess:
        sess["csrf_token"] = "planted-by-attacker"
        sess["_user_id"] = "999:1"
    client.post("/login", data={"login": "fix", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert sess.get("csrf_token") != "planted-by-attacker"
        assert sess["_user_id"] != "999:1"


def test_password_change_ends_other_sessions(app, make_user):
    from tests.conftest import login

    user = make_user(username="doi")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    resp = laptop.post(
        "/account", data={"current": PASSWORD, "password": "mat-khau-moi-123", "confirm": "mat-khau-moi-123"}
    )
    assert resp.status_code == 302
    assert laptop.get("/").status_code == 200  # the session that changed it stays
    assert phone.get("/").status_code == 302  # the other one is logged out


def test_language_preference_is_kept_per_user(client, make_user, session):
    user = make_user(username="lang")
    client.post("/login", data={"login": "lang", "password": PASSWORD})
    client.post("/language", data={"lang": "en"})
    session.refresh(user)
    assert user.locale == "en"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_unknown_user_and_wrong_password_cost_the_same_hash_work(client, make_user, monkeypatch):
    """No timing oracle: both paths run exactly one argon2 verification."""
    from lms.auth import services

    make_user(username="an")
    calls = []
    real = services._hasher

    class CountingHasher:
        def verify(self, stored, password):
            calls.append(stored.split("$")[:4])  # algorithm and cost parameters, not the salt
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(services, "_hasher", CountingHasher())
    client.post("/login", data={"login": "an", "password": "wrong-wrong-wrong"})
    client.post("/login", data={"login": "nobody-here", "password": "wrong-wrong-wrong"})
    assert len(calls) == 2
    assert calls[0] == calls[1]  # same algorithm and parameters, so the same cost
