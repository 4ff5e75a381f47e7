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
