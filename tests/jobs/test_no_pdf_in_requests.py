"""Completion through every path issues the certificate at once and renders its PDF in a job only.

Paths: a lesson marked done, a final exam submitted, an autosave that arrives
after the deadline (the attempt is closed and graded), attendance saved by HR
(30 people), and a manual issue. The PDF renderer is wrapped to record where it
runs: any call inside a web request fails the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import has_request_context, request
from sqlalchemy import select

import lms.certificates.pdf as pdf_module
from lms.auth.models import Role
from lms.catalog.models import Course, CourseStatus, Lesson, Module
from lms.certificates.models import Certificate
from lms.db import utcnow
from lms.jobs import run_queued
from lms.jobs.models import Job, JobStatus
from lms.learning.services import enroll_user
from lms.quizzes import attempts
from lms.training import services as training
from tests.quizzes.conftest import answer_fields, save_fields
from tests.quizzes.helpers import load_fixture_course, quiz_by_key


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch, app: Any, job_keys: Path) -> list[str]:
    """Where the PDF renderer ran: "job" or "request <path>" (signing configured for the test)."""
    monkeypatch.setitem(app.config, "SIGNING_P12", str(job_keys / "signing.p12"))
    monkeypatch.setitem(app.config, "SIGNING_P12_PASSPHRASE", (job_keys / "passphrase").read_text())
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", str(job_keys / "ca.pem"))
    calls: list[str] = []
    real = pdf_module.render_certificate_pdf

    def recording(cert: Any) -> bytes:
        calls.append(f"request {request.path}" if has_request_context() else "job")
        return real(cert)

    monkeypatch.setattr(pdf_module, "render_certificate_pdf", recording)
    return calls


def simple_course(session: Any, **rules: Any) -> Course:
    n = len(session.scalars(select(Course.id)).all())
    course = Course(slug=f"walk-{n}", title=f"Khoá {n}", status=CourseStatus.PUBLISHED, estimated_hours=2,
                    require_quizzes=False, require_final_exam=False, **rules)  # fmt: skip
    module = Module(key="m1", title="Mô-đun 1")
    course.modules.append(module)
    session.add(course)
    session.flush()
    module.lessons.append(Lesson(key="l1", title="Bài 1", course_id=course.id))
    session.flush()
    return course


def test_every_completion_path_queues_the_render_and_no_request_renders(
    app: Any, session: Any, client: Any, make_user: Any, make_unit: Any, login_as: Any, renders: list[str]
) -> None:
    district = make_unit(name="UBND huyện Vân Đồn")
    hr = make_user(Role.HR.value, scope=district, unit=district)
    expected: list[tuple[str, int]] = []  # (path, user id)

    # 1. A lesson marked done completes a lessons-only course.
    lesson_course = simple_course(session, require_lessons=True)
    reader = make_user(unit=district)
    enroll_user(session, reader, lesson_course)
    session.commit()
    resp = login_as(reader).post(f"/courses/{lesson_course.slug}/learn/m1/l1/complete")
    assert resp.status_code == 302
    expected.append(("lesson", reader.id))

    # 2. A final exam submitted through the page completes an exam-only course.
    exam_course = load_fixture_course(session, slug="walk-exam")
    exam_course.require_lessons, exam_course.require_quizzes, exam_course.require_final_exam = (
        False,
        False,
        True,
    )
    final = quiz_by_key(session, exam_course, "final")
    examinee = make_user(unit=district)
    attempt = attempts.start_attempt(session, final, examinee)
    for i, entry in enumerate(attempt.entries):
        save_fields(session, attempt, entry.question_id, answer_fields(entry), i + 1, base=i)
    session.commit()
    assert login_as(examinee).post(f"/quizzes/attempt/{attempt.id}/submit").status_code == 302
    expected.append(("quiz submit", examinee.id))

    # 3. An autosave after the deadline closes and grades the attempt, which completes the course.
    late = make_user(unit=district)
    late_attempt = attempts.start_attempt(session, final, late)
    for i, entry in enumerate(late_attempt.entries):
        save_fields(session, late_attempt, entry.question_id, answer_fields(entry), i + 1, base=i)
    late_attempt.deadline_at = utcnow() - dt.timedelta(hours=1)
    session.commit()
    entry = late_attempt.entries[0]
    resp = login_as(late).post(
        f"/quizzes/attempt/{late_attempt.id}/autosave",
        json={"question": entry.question_id, "seq": 99, "base": len(late_attempt.entries),
              "fields": answer_fields(entry)},
    )  # fmt: skip
    assert resp.status_code == 410
    expected.append(("autosave after deadline", late.id))

    # 4. HR saves attendance for a 30-person class of a course that requires attendance.
    class_course = simple_course(session, require_lessons=False, require_attendance=True)
    people = [make_user(unit=district) for _ in range(30)]
    day = dt.date(2026, 3, 2)
    cls = training.create_class(
        session, course=class_course, unit=district, title="Lớp Vân Đồn", place="Hội trường",
        starts_on=day, ends_on=day, trainer="GV", capacity=30, invited=[district], by=hr,
    )  # fmt: skip
    training.add_to_roster(session, cls, [p.id for p in people], by=hr)
    session.commit()
    resp = login_as(hr).post(f"/training/classes/{cls.id}/attendance/{day.isoformat()}", data={})
    assert resp.status_code == 302
    expected += [("attendance", p.id) for p in people]

    # 5. A manual issue by HR.
    manual_course = simple_course(session, require_lessons=True)
    walk_in = make_user(unit=district, username="thucong")
    resp = login_as(hr).post(
        "/certificates/issue",
        data={"username": "thucong", "course_id": str(manual_course.id), "reason": "Học lớp tập trung"},
    )
    assert resp.status_code == 302
    expected.append(("manual issue", walk_in.id))

    # Every path issued its certificate at once; none rendered a PDF in the request.
    session.expire_all()
    certs = {c.user_id: c for c in session.scalars(select(Certificate))}
    missing = [path for path, user_id in expected if user_id not in certs]
    assert not missing, missing
    assert renders == []
    assert not any(c.is_rendered for c in certs.values())
    for path, user_id in dict(expected).items():  # the verify page works from the moment the row exists
        assert client.get(f"/verify/{certs[user_id].display_code}").status_code == 200, path
    mine = login_as(reader).get("/certificates/mine").get_data(as_text=True)
    assert "Đang tạo chứng chỉ…" in mine
    jobs = session.scalars(select(Job).where(Job.kind == "certificates.render")).all()
    assert len(jobs) == len(expected) == 34
    assert {j.status for j in jobs} == {JobStatus.QUEUED}

    # The jobs (here in this process, outside any request) render and sign each PDF once.
    from lms.certificates.models import CertificateBadge

    assert session.scalars(select(CertificateBadge)).all() == []  # no Open Badge signed in a request either
    with app.app_context():
        assert run_queued() == 34  # one job per certificate: it renders the PDF and signs the Open Badge
    session.expire_all()
    assert all(c.is_rendered for c in session.scalars(select(Certificate)))
    assert len(session.scalars(select(CertificateBadge)).all()) == 34
    assert renders == ["job"] * 34
    assert "Đang tạo chứng chỉ…" not in login_as(reader).get("/certificates/mine").get_data(as_text=True)
