"""Who may manage a course: admins, and trainers listed as its authors.

Lives in catalog (below both authoring and quizzes) so that quizzes can restrict
its trainer pages without importing lms.authoring, which sits on top of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import Role
from lms.catalog.models import Course, CourseAuthor


def is_author(session: Session, user: Any, course: Course) -> bool:
    return (
        session.scalar(
            select(CourseAuthor.id).where(
                CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id
            )
        )
        is not None
    )


def can_manage(session: Session, user: Any, course: Course) -> bool:
    """Admins, and trainers listed as the course's authors."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.TRAINER) and is_author(session, user, course)


def managed_course_ids(session: Session, user: Any) -> Any:
    """A select of the ids of the courses user may manage (all for admins)."""
    if user.has_role(Role.ADMIN):
        return select(Course.id)
    if not user.has_role(Role.TRAINER):
        return select(Course.id).where(Course.id.is_(None))
    return select(CourseAuthor.course_id).where(CourseAuthor.user_id == user.id)
