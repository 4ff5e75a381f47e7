"""Public verification: page, JSON, 404s for guesses, rate limit, audit log, revoke/reissue links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.auth.models import Role
from lms.certificates import services
from lms.certificates.codes import format_code, new_code
from lms.core.models import AuditEvent


def test_verify_page_shows_the_certificate_without_login(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    learner = make_user(unit=make_unit(name="UBND xã Vô Ngại"), full_name="Nguyễn Thị Hương")
    cert = issued(learner)
    for typed in (cert.display_code, cert.code.lower(), " ".join(format_code(cert.code).split("-"))):
        resp = client.get(f"/verify/{typed}")
        assert resp.status_code == 200, typed
        html = resp.get_data(as_text=True)
        assert "Nguyễn Thị Hương" in html
        assert "UBND xã Vô Ngại" in html
        assert cert.display_code in html
        assert "badge-ok" in html
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.lookup", AuditEvent.subject == cert.code)
    ).all()
    assert len(events) == 3
    assert all(e.details["found"] for e in events)


def test_verify_page_speaks_english_too(client: Any, make_user: Any, make_unit: Any, issued: Any) -> None:
    cert = issued(make_user(unit=make_unit()))
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get(f"/verify/{cert.display_code}").get_data(as_text=True)
    assert "Certificate verification" in html
    assert "Valid" in html


def test_guessed_sequential_and_malformed_codes_are_404(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    cert = issued(make_user(unit=make_unit()))
    last = cert.code[-1]
    neighbour = cert.code[:-1] + ("A" if last != "A" else "B")
    for code in (
        new_code(),
        neighbour,
        "AAAAAA-AAAAAA-AAAAAA",
        "123",
        "../../etc/passwd",
        "' OR 1=1 --",
        str(cert.id),
    ):
        resp = client.get(f"/verify/{code}")
        assert resp.status_code == 404, code
        assert "Nguyễn" not in resp.get_data(as_text=True)
        api = client.get(f"/api/v1/certificates/{code}")
        assert api.status_code == 404
        assert api.get_json()["error"] == 404
    misses = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "certificate.lookup", AuditEvent.details["found"].as_boolean().is_(False)
        )
    ).all()
    assert len(misses) >= 14  # every lookup is logged, found or not


def test_bursts_get_429(app: Any, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "CERT_VERIFY_RATE_LIMIT", "5 per minute")
    codes = [client.get(f"/verify/{new_code()}").status_code for _ in range(8)]
    assert codes[:5] == [404] * 5
    assert codes[-1] == 429
    assert client.get(f"/api/v1/certificates/{new_code()}").status_code in (404, 429)


def test_json_api(client: Any, make_user: Any, make_unit: Any, issued: Any) -> None:
    cert = issued(make_user(unit=make_unit(), full_name="Lê Minh Châu"))
    data = client.get(f"/api/v1/certificates/{cert.code.lower()}").get_json()
    assert data["code"] == cert.display_code
    assert data["status"] == "valid"
    assert data["holder"] == "Lê Minh Châu"
    assert data["course"] == cert.course_title
    assert data["issued_at"].startswith(str(cert.issued_at.year))
    assert "expires_at" in data


def test_revoked_and_superseded_links_keep_working(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    admin = make_user(Role.ADMIN)
    old = issued(make_user(unit=make_unit()))
    new = services.reissue_certificate(session, old, by=admin, reason="Sai tên")
    resp = client.get(f"/verify/{old.display_code}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "badge-warn" in html
    assert f"/verify/{new.display_code}" in html
    assert client.get(f"/api/v1/certificates/{old.code}").get_json()["superseded_by"] == new.display_code

    services.revoke_certificate(session, new, by=admin, reason="Gian lận khi thi")
    html = client.get(f"/verify/{new.display_code}").get_data(as_text=True)
    assert "Gian lận khi thi" in html
    assert "badge-err" in html
    assert client.get(f"/api/v1/certificates/{new.code}").get_json()["status"] == "revoked"


def test_expired_certificates_say_so(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    import datetime as dt

    from lms.db import utcnow

    cert = issued(make_user(unit=make_unit()))
    cert.expires_at = utcnow() - dt.timedelta(days=1)
    session.flush()
    html = client.get(f"/verify/{cert.display_code}").get_data(as_text=True)
    assert "badge-warn" in html
    assert "Hết hạn" in html
    assert client.get(f"/api/v1/certificates/{cert.code}").get_json()["status"] == "expired"
