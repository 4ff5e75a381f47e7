from __future__ import annotations

from lms import create_app


def test_healthz_round_trips_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_503_when_database_down(tmp_path):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/nope/db.sqlite3",
        INSTANCE_PATH=str(tmp_path),
    )
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["db"] == "unavailable"
    app.extensions["lms.db"].engine.dispose()


def test_security_headers_on_pages(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_login_page_is_vietnamese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert "Tên đăng nhập hoặc thư điện tử" in html
