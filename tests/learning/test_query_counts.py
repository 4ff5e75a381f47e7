"""Dashboard, catalogue, course page and lesson page run a fixed number of SQL statements."""

from __future__ import annotations

from sqlalchemy import insert, select

from lms.auth.models import User, UserRole
from lms.learning.models import Enrollment, LessonProgress
from lms.learning.services import enroll_user
from tests.catalog.helpers import build_course


def _add_learners(session, course, n: int) -> None:
    """n other learners enrolled in course, each with one lesson done (bulk inserts)."""
    start = session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
    session.execute(
        insert(User),
        [
            {
                "username": f"qc{course.id}-{i}",
                "email": None,
                "full_name": f"Học viên {i}",
                "password_hash": "",
            }
            for i in range(n)
        ],
    )
    ids = list(
        session.scalars(select(User.id).where(User.id > start, User.username.like(f"qc{course.id}-%")))
    )
    session.execute(insert(UserRole), [{"user_id": uid, "role": "learner"} for uid in ids])
    session.execute(
        insert(Enrollment), [{"user_id": uid, "course_id": course.id, "progress_percent": 10} for uid in ids]
    )
    first_lesson = course.modules[0].lessons[0].id
    eids = session.scalars(select(Enrollment.id).where(Enrollment.course_id == course.id))
    session.execute(insert(LessonProgress), [{"enrollment_id": e, "lesson_id": first_lesson} for e in eids])
    session.flush()


def _measure(count_queries, client, size: str) -> dict[str, int]:
    pages = {
        "dashboard": "/",
        "catalogue": "/courses/",
        "course": f"/courses/{size}",
        "lesson": f"/courses/{size}/learn/01-mo-dun/01-bai",
    }
    counts = {}
    for name, url in pages.items():
        client.get(url)  # warm: the lesson page writes "last lesson" once
        with count_queries() as q:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = q.count
    return counts


def test_pages_run_the_same_statements_for_5_or_200_lessons_and_10_or_5000_learners(
    session, make_user, login_as, count_queries
):
    user = make_user()
    client = login_as(user)

    def enrol(course):
        enrollment = enroll_user(session, user, course)
        session.add(LessonProgress(enrollment_id=enrollment.id, lesson_id=course.modules[0].lessons[0].id))
        session.flush()

    small = build_course(session, slug="nho", modules=1, lessons_per_module=5)
    _add_learners(session, small, 10)
    enrol(small)
    few = _measure(count_queries, client, "nho")

    big = build_course(session, slug="lon", modules=10, lessons_per_module=20)
    _add_learners(session, big, 5000)
    enrol(big)
    many = _measure(count_queries, client, "lon")
    assert few == many
    assert max(few.values()) <= 12, few
    # Issue 19: the course and lesson pages read the quizzes and the outline's counts once.
    assert few["course"] <= 5, (
        few
    )  # issue 19: course + enrolment in one, ticks in the outline, no history for learners
    assert few["lesson"] <= 5, few
    print("statements per page:", few)
