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


def test_next_after_login_stays_on_this_site(client, make_user):
    """Browsers drop tabs/newlines and read "\\" as "/": "/\\t/evil.example" would leave the site."""
    make_user(username="redir")
    for target in (
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
    ):
        client.post("/logout")
        resp = client.post(
            "/login", query_string={"next": target}, data={"login": "redir", "password": PASSWORD}
        )
        assert resp.status_code == 302, target
        assert resp.headers["Location"] == "/", target
    client.post("/logout")
    resp = client.post("/login?next=/courses/%3Fq%3Dx", data={"login": "redir", "password": PASSWORD})
    assert resp.headers["Location"] == "/courses/?q=x"


def test_language_switch_goes_back_only_to_this_site(client):
    resp = client.post("/language", data={"lang": "en", "next": "/\t/evil.example"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_failures_count_per_account_by_username_and_email_from_many_addresses(client, make_user):
    """Switching between username and e-mail (and IPs) does not double the guesses an account allows."""
    make_user(username="thu", email="thu@example.test")
    for i in range(10):
        login = "thu" if i % 2 else "THU@example.test"
        resp = client.post(
            "/login",
            data={"login": login, "password": "bad-password-x"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"},
        )
        assert resp.status_code == 200
    resp = client.post(
        "/login", data={"login": "thu", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert resp.status_code == 429


def test_guessing_reset_links_is_throttled_per_address(client):
    for i in range(10):
        assert client.get(f"/reset/guess-{i}").status_code == 404
    assert client.get("/reset/guess-10").status_code == 429


def test_hash_with_old_parameters_is_replaced_on_successful_login_only(client, make_user, session):
    from argon2 import PasswordHasher

    from lms.auth.services import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST

    user = make_user(username="cu")
    # A hash from before the parameters were chosen: argon2-cffi's defaults (64 MiB, t=3, p=4).
    old = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash(PASSWORD)
    user.password_hash = old
    session.commit()
    assert client.post("/login", data={"login": "cu", "password": "wrong-password-x"}).status_code == 200
    session.refresh(user)
    assert user.password_hash == old  # a failed login rewrites nothing
    assert client.post("/login", data={"login": "cu", "password": PASSWORD}).status_code == 302
    session.refresh(user)
    params = f"m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}"
    assert user.password_hash.startswith(f"$argon2id$v=19${params}$")
    assert client.get("/").status_code == 200  # the session made at this login is still valid
    client.post("/logout")
    assert client.post("/login", data={"login": "cu", "password": PASSWORD}).status_code == 302
    session.refresh(user)
    again = user.password_hash
    client.post("/logout")
    assert client.post("/login", data={"login": "cu", "password": PASSWORD}).status_code == 302
    session.refresh(user)
    assert user.password_hash == again  # current parameters: not re-hashed at every login


def _login(client, login, password, ip):
    return client.post(
        "/login", data={"login": login, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_an_attacker_cannot_lock_the_owner_out_of_their_own_browser(app, make_user):
    """Issue 14, item 5: ten wrong passwords from anywhere no longer lock the owner out."""
    make_user(username="mai", email="mai@example.test")
    owner = app.test_client()
    assert _login(owner, "mai", PASSWORD, "10.9.0.1").status_code == 302  # the owner's usual browser
    owner.post("/logout")
    attacker = app.test_client()
    for i in range(12):  # from many addresses, one of them the owner's own office address
        _login(attacker, "mai" if i % 2 else "MAI@example.test", "bad-password-x", f"10.9.{i % 3}.1")
    # Untrusted clients are refused even with the right password ...
    assert _login(attacker, "mai", PASSWORD, "10.9.7.7").status_code == 429
    assert _login(app.test_client(), "mai", PASSWORD, "10.9.8.8").status_code == 429
    # ... but the owner's browser still gets in, even from the attacker's address.
    assert _login(owner, "mai", PASSWORD, "10.9.0.1").status_code == 302
    owner.post("/logout")
    assert _login(owner, "mai@example.test", PASSWORD, "10.9.1.1").status_code == 302


def test_a_trusted_browser_still_has_its_own_failure_limit(app, make_user):
    make_user(username="khanh")
    make_user(username="khanh2")
    device = app.test_client()
    assert _login(device, "khanh", PASSWORD, "10.8.0.1").status_code == 302
    device.post("/logout")
    for _ in range(10):
        assert _login(device, "khanh", "bad-password-x", "10.8.0.1").status_code == 200
    assert _login(device, "khanh", PASSWORD, "10.8.0.1").status_code == 429
    # The cookie names one account: for another account this browser is untrusted (and not locked).
    assert _login(device, "khanh2", PASSWORD, "10.8.0.2").status_code == 302


def test_a_forged_device_cookie_is_untrusted(app, make_user):
    make_user(username="ngoc")
    attacker = app.test_client()
    attacker.set_cookie("lms_device", "eyJ1IjoxLCJuIjoieCJ9.forged.sig")
    for i in range(10):
        _login(attacker, "ngoc", "bad-password-x", f"10.7.0.{i}")
    assert _login(attacker, "ngoc", PASSWORD, "10.7.1.1").status_code == 429
