from __future__ import annotations

from sqlalchemy import select

from lms.auth.access import manages_course
from lms.catalog.models import Course, CourseAuthor
from lms.demo.authoring import demo_authors


def test_demo_trainer_authors_authorless_courses_once(session, make_user):
    trainer = make_user("trainer", "learner", username="giangvien")
    make_user("admin", username="quantri")
    other = make_user("trainer")
    mine = Course(slug="demo-a", title="A")
    theirs = Course(slug="demo-b", title="B")
    session.add_all([mine, theirs])
    session.flush()
    session.add(CourseAuthor(course_id=theirs.id, user_id=other.id))
    session.flush()
    assert "demo-a" in demo_authors(session, "small")
    assert manages_course(trainer, mine)
    assert not manages_course(trainer, theirs)
    assert demo_authors(session, "small") is None  # idempotent
    assert len(session.scalars(select(CourseAuthor).where(CourseAuthor.course_id == mine.id)).all()) == 1
