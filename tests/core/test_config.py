from __future__ import annotations

import pytest

from config import load_config
from lms import create_app
from tests.conftest import PASSWORD


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="LMS_SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("LMS_SECRET_KEY", "s3cret-from-the-environment")
    assert load_config("production").SECRET_KEY == "s3cret-from-the-environment"


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = load_config("development").SECRET_KEY
    assert len(first) >= 40
    assert first == load_config("development").SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_is_read_when_config_is_built(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_DATABASE_URL", "postgresql://lms:lms@db/lms")
    monkeypatch.setenv("LMS_URL_PREFIX", "hoc-truc-tuyen/")
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://dichvucong.example.vn/hoc-truc-tuyen/")
    cfg = load_config("development")
    assert cfg.SQLALCHEMY_DATABASE_URL == "postgresql://lms:lms@db/lms"
    assert cfg.URL_PREFIX == "/hoc-truc-tuyen"
    assert cfg.PUBLIC_URL == "https://dichvucong.example.vn/hoc-truc-tuyen"
    monkeypatch.delenv("LMS_DATABASE_URL")
    assert f"sqlite:///{tmp_path / 'lms.sqlite3'}" == load_config("development").SQLALCHEMY_DATABASE_URL
    with pytest.raises(RuntimeError, match="Unknown LMS_ENV"):
        load_config("staging")


def test_secure_cookies_switch(monkeypatch):
    monkeypatch.setenv("LMS_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("LMS_SECURE_COOKIES", raising=False)
    assert load_config("development").SESSION_COOKIE_SECURE is False
    assert load_config("production").SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("LMS_SECURE_COOKIES", "1")
    cfg = load_config("development")
    assert cfg.SESSION_COOKIE_SECURE is True
    assert cfg.REMEMBER_COOKIE_SECURE is True


def _session_cookie_header(client, username):
    resp = client.post("/login", data={"login": username, "password": PASSWORD})
    assert resp.status_code == 302
    (header,) = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("lms_session=")]
    return header


def test_session_cookie_flags(client, make_user):
    make_user(username="cookie")
    header = _session_cookie_header(client, "cookie")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


def test_session_cookie_secure_when_configured(app, make_user, monkeypatch):
    make_user(username="cookie2")
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    header = _session_cookie_header(app.test_client(), "cookie2")
    assert "; Secure" in header
    assert "HttpOnly" in header
