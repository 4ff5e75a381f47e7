"""Completion by HR's attendance save costs a constant number of statements, whatever the class size.

Saving attendance for a class of 5 and for a class of 30 (each person completes a course that
requires attendance, so each gets a certificate and a render job) runs the same number of SQL
statements; and a final-exam submit that completes a course runs the same number for two learners.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from lms.auth.models import Role
from lms.certificates.models import Certificate
from lms.jobs.models import Job
from lms.quizzes import attempts
from lms.training import services as training
from tests.jobs.test_no_pdf_in_requests import simple_course
from tests.quizzes.conftest import answer_fields, save_fields
from tests.quizzes.helpers import load_fixture_course, quiz_by_key


def test_attendance_save_costs_the_same_for_5_and_30_people(
    app: Any, session: Any, make_user: Any, make_unit: Any, login_as: Any, count_queries: Any
) -> None:
    district = make_unit(name="UBND huyện Cô Tô")
    hr = make_user(Role.HR.value, scope=district, unit=district)
    day = dt.date(2026, 3, 2)
    counts = {}
    for size in (5, 30):
        course = simple_course(session, require_lessons=False, require_attendance=True)
        people = [make_user(unit=district) for _ in range(size)]
        cls = training.create_class(
            session, course=course, unit=district, title=f"Lớp {size}", place="Hội trường",
            starts_on=day, ends_on=day, trainer="GV", capacity=size, invited=[district], by=hr,
        )  # fmt: skip
        training.add_to_roster(session, cls, [p.id for p in people], by=hr)
        session.commit()
        client = login_as(hr)
        with count_queries() as q:
            resp = client.post(f"/training/classes/{cls.id}/attendance/{day.isoformat()}", data={})
        assert resp.status_code == 302
        counts[size] = q.count
        issued = session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.course_id == course.id)
        )
        assert issued == size  # everyone completed and got a certificate …
        render_jobs = session.scalar(
            select(func.count()).select_from(Job).where(Job.key.like("certificate-render:%"))
        )
        assert render_jobs == session.scalar(select(func.count()).select_from(Certificate))  # … and its job
    assert counts[5] == counts[30], counts


def test_final_exam_submit_that_completes_costs_the_same_for_every_learner(
    session: Any, make_user: Any, login_as: Any, count_queries: Any
) -> None:
    course = load_fixture_course(session, slug="const-exam")
    course.require_lessons, course.require_quizzes, course.require_final_exam = False, False, True
    final = quiz_by_key(session, course, "final")
    takers = []
    for _ in range(2):
        user = make_user()
        attempt = attempts.start_attempt(session, final, user)
        for i, entry in enumerate(attempt.entries):
            save_fields(session, attempt, entry.question_id, answer_fields(entry), i + 1, base=i)
        takers.append((user, attempt.id))
    session.commit()
    counts = []
    for user, attempt_id in takers:
        client = login_as(user)
        with count_queries() as q:
            assert client.post(f"/quizzes/attempt/{attempt_id}/submit").status_code == 302
        counts.append(q.count)
    assert (
        session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.course_id == course.id)
        )
        == 2
    )
    assert counts[0] == counts[1], counts
