"""Demo data: the demo trainer (giangvien) authors every course that has no author yet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.authoring.services import add_author
from lms.catalog.models import Course, CourseAuthor

DEMO_TRAINER = "giangvien"
DEMO_ADMIN = "quantri"


def demo_authors(session: Session, scale: str) -> str | None:
    """Idempotent; run after `lms courses import`."""
    users = {
        u.username: u
        for u in session.scalars(select(User).where(User.username.in_([DEMO_TRAINER, DEMO_ADMIN])))
    }
    if len(users) < 2:
        return None
    authorless = session.scalars(
        select(Course).where(Course.id.not_in(select(CourseAuthor.course_id))).order_by(Course.slug)
    ).all()
    for course in authorless:
        add_author(session, course, users[DEMO_TRAINER], by=users[DEMO_ADMIN])
    if not authorless:
        return None
    return f"authoring demo: {DEMO_TRAINER} is an author of {', '.join(c.slug for c in authorless)}"
