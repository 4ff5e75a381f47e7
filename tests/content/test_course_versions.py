"""Publishing the revised online-services course over the one learners already use.

`fixtures/v1/dich-vu-cong-truc-tuyen` is the course as it was published before the 1/7/2025
revision (version 1, same slug). Importing today's `courses/dich-vu-cong-truc-tuyen` through the
real importer must make a new version of the same course: a learner in progress sees the new
lessons and a recomputed percentage; a learner who completed stays complete and keeps the
certificate.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalog.models import Course
from lms.certificates.models import Certificate, CertificateStatus
from lms.learning.services import complete_lesson, enroll_user
from lms.quizzes import attempts as quizzes
from lms.quizzes.models import Quiz
from tests.catalog.helpers import import_dir
from tests.quizzes.conftest import answer_fields, save_fields

SLUG = "dich-vu-cong-truc-tuyen"
V1 = Path(__file__).parent / "fixtures" / "v1"
TODAY = Path(__file__).resolve().parents[2] / "courses" / SLUG
T0 = dt.datetime(2025, 6, 2, 8, 0, tzinfo=dt.UTC)


def lessons(course):
    return {(m.key, les.key): les for m in course.modules for les in m.lessons}


def pass_quiz(session, quiz, user):
    attempt = quizzes.start_attempt(session, quiz, user, now=T0, rng=random.Random(3))
    for i, entry in enumerate(attempt.entries):
        save_fields(session, attempt, entry.question_id, answer_fields(entry), i + 1, base=i, now=T0)
    quizzes.submit_attempt(session, attempt, now=T0)
    assert attempt.passed


@pytest.fixture
def staged(tmp_path):
    """A folder holding only the online-services course, so import_dir imports just that."""
    target = tmp_path / "courses"
    target.mkdir()
    (target / SLUG).symlink_to(TODAY, target_is_directory=True)
    return target


def test_revised_course_is_a_new_version_for_learners_in_progress_and_done(
    app, session, make_user, login_as, staged
):
    (first,) = import_dir(session, V1)
    course = session.scalars(select(Course).where(Course.slug == SLUG)).one()
    assert first.new_version == 1
    old = lessons(course)
    assert ("02-thu-tuc-dien-tu", "01-nghi-dinh-45-2020") in old
    assert len(old) == 10

    done = make_user()
    done_enrollment = enroll_user(session, done, course)
    for lesson in old.values():
        complete_lesson(session, done_enrollment, lesson)
    for quiz in session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.key)):
        pass_quiz(session, quiz, done)
    assert done_enrollment.completed_at is not None
    (cert,) = session.scalars(select(Certificate).where(Certificate.user_id == done.id)).all()

    halfway = make_user()
    halfway_enrollment = enroll_user(session, halfway, course)
    kept = [
        ("01-khai-niem-va-muc-do", "01-dich-vu-cong-truc-tuyen-la-gi"),
        ("02-thu-tuc-dien-tu", "01-nghi-dinh-45-2020"),
    ]
    for key in kept:
        complete_lesson(session, halfway_enrollment, old[key])
    assert halfway_enrollment.progress_percent == 20  # 2 of 10

    (change,) = import_dir(session, staged)
    assert change.new_version == 2
    session.refresh(course)
    new = lessons(course)
    assert len(new) == 12
    assert ("02-thu-tuc-dien-tu", "03-vneid-va-dinh-danh-dien-tu") in new
    assert ("02-thu-tuc-dien-tu", "01-nghi-dinh-118-2025") in new
    assert ("02-thu-tuc-dien-tu", "01-nghi-dinh-45-2020") not in new
    assert course.title.startswith("Dịch vụ công trực tuyến toàn trình và một phần")

    # In progress: the lesson on the replaced decree is gone, the tick on the first lesson stays,
    # and the percentage counts the new lessons: 1 of 12.
    session.refresh(halfway_enrollment)
    assert halfway_enrollment.completed_at is None
    assert halfway_enrollment.progress_percent == 8
    page = login_as(halfway).get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "VNeID và tài khoản định danh điện tử" in page
    assert "Thực hành trên Cổng Dịch vụ công quốc gia" in page
    assert "Nghị định 45/2020/NĐ-CP - thủ tục" not in page

    # Completed: still complete at 100 % with version 1, the same certificate still valid.
    session.refresh(done_enrollment)
    assert done_enrollment.completed_at is not None
    assert done_enrollment.completed_version == 1
    assert done_enrollment.progress_percent == 100
    session.refresh(cert)
    assert cert.status == CertificateStatus.VALID
    assert session.scalars(select(Certificate).where(Certificate.user_id == done.id)).all() == [cert]

    # Importing the same files again changes nothing.
    (again,) = import_dir(session, staged)
    assert again.action == "unchanged"
