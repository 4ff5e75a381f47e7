"""`flask lms certificates …`: dev keys, batch issue + render (resumable, no duplicates), reminders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.certificates.models import Certificate, CertificateFile
from lms.certificates.signing import check_signature
from lms.db import utcnow
from lms.learning.models import Enrollment


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


def _complete_without_issuing(session: Any, enrollment: Enrollment) -> None:
    """Mark an enrolment complete the way an import of old records would (no signal)."""
    enrollment.completed_at = utcnow()
    enrollment.progress_percent = 100
    session.flush()


def test_dev_keys_are_made_once(
    app: Any, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "INSTANCE_PATH", str(tmp_path))
    out = runner.invoke(args=["lms", "certificates", "dev-keys"])
    assert out.exit_code == 0, out.output
    assert "created" in out.output
    p12 = tmp_path / "signing" / "signing.p12"
    assert p12.exists()
    assert (tmp_path / "signing" / "ca.pem").exists()
    assert oct(p12.stat().st_mode & 0o777) == "0o600"
    again = runner.invoke(args=["lms", "certificates", "dev-keys"])
    assert "kept" in again.output


def test_batch_issue_is_resumable_and_never_duplicates(
    app: Any, session: Any, runner: Any, make_user: Any, make_unit: Any, make_course: Any, signing: Path
) -> None:
    from lms.learning.services import enroll_user

    district = make_unit(name="Huyện Cô Tô")
    other = make_unit(name="Huyện Ba Chẽ")
    course = make_course()
    people = [make_user(unit=district), make_user(unit=district), make_user(unit=other)]
    enrollments = [enroll_user(session, p, course) for p in people]
    for e in enrollments:
        _complete_without_issuing(session, e)
    # One of them already has its certificate (an earlier, interrupted run).
    from lms.certificates.services import issue_certificate

    issue_certificate(session, enrollments[0])

    out = runner.invoke(
        args=[
            "lms",
            "certificates",
            "issue",
            "--course",
            course.slug,
            "--unit",
            district.code,
            "--workers",
            "1",
        ]
    )
    assert out.exit_code == 0, out.output
    assert "1 issued, 1 already had one" in out.output
    assert "2 rendered" in out.output
    certs = session.scalars(select(Certificate).where(Certificate.course_id == course.id)).all()
    assert {c.user_id for c in certs} == {people[0].id, people[1].id}
    assert all(c.is_rendered for c in certs)
    data = session.scalar(select(CertificateFile.data).where(CertificateFile.certificate_id == certs[0].id))
    assert check_signature(data).genuine

    again = runner.invoke(args=["lms", "certificates", "issue", "--course", course.slug, "--workers", "1"])
    assert again.exit_code == 0, again.output
    assert "1 issued, 2 already had one" in again.output
    count = session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.course_id == course.id)
    )
    assert count == 3
    files = session.scalar(
        select(func.count())
        .select_from(CertificateFile)
        .join(Certificate, Certificate.id == CertificateFile.certificate_id)
        .where(Certificate.course_id == course.id)
    )
    assert files == 3

    done = runner.invoke(args=["lms", "certificates", "render-missing", "--workers", "1"])
    assert "nothing to render" in done.output


def test_render_missing_refuses_without_a_key(
    runner: Any, session: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    issued(make_user(unit=make_unit()))
    out = runner.invoke(args=["lms", "certificates", "render-missing", "--workers", "1"])
    assert out.exit_code != 0
    assert "no signing key" in out.output


def test_reminders_only_with_smtp_and_only_once(
    app: Any,
    session: Any,
    runner: Any,
    make_user: Any,
    make_unit: Any,
    issued: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert = issued(make_user(unit=make_unit(), email="huong@example.test"))
    cert.expires_at = utcnow() + dt.timedelta(days=5)
    session.flush()
    out = runner.invoke(args=["lms", "certificates", "remind-expiring", "--days", "30"])
    assert "SMTP is not configured" in out.output

    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: int) -> None:
            assert host == "smtp.example.test"

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: Any) -> None:
            return None

        def starttls(self) -> None:
            return None

        def send_message(self, msg: Any) -> None:
            sent.append(msg)

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.test")
    monkeypatch.setitem(app.config, "SMTP_USER", "")
    out = runner.invoke(args=["lms", "certificates", "remind-expiring", "--days", "30"])
    assert "1 reminders sent" in out.output, out.output
    assert sent[0]["To"] == "huong@example.test"
    assert cert.display_code in sent[0].get_content()
    out = runner.invoke(args=["lms", "certificates", "remind-expiring", "--days", "30"])
    assert "0 reminders sent" in out.output
