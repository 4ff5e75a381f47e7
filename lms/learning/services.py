"""Enrolment, lesson progress and completion. Services flush; views commit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.catalog.models import Course, Lesson
from lms.db import utcnow
from lms.learning.completion import Requirement, enrollment_completed, registered_requirements
from lms.learning.models import Enrollment, EnrollmentSource, LessonProgress


def enroll_user(
    session: Session, user: User, course: Course, *, source: str = EnrollmentSource.SELF, due_at=None
) -> Enrollment:
    """Enrol user in course (idempotent); an assignment may set or tighten the due date."""
    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    ).first()
    if enrollment is None:
        enrollment = Enrollment(user_id=user.id, course_id=course.id, source=source, due_at=due_at)
        session.add(enrollment)
        session.flush()
    elif due_at is not None and (enrollment.due_at is None or due_at < enrollment.due_at):
        enrollment.due_at = due_at
    return enrollment


def complete_lesson(session: Session, enrollment: Enrollment, lesson: Lesson) -> bool:
    """Mark a lesson done (idempotent) and refresh the enrollment. Returns True if newly done."""
    row = session.scalars(
        select(LessonProgress).where(
            LessonProgress.enrollment_id == enrollment.id, LessonProgress.lesson_id == lesson.id
        )
    ).first()
    now = utcnow()
    newly = False
    if row is None:
        row = LessonProgress(enrollment_id=enrollment.id, lesson_id=lesson.id, last_seen_at=now)
        session.add(row)
    if row.completed_at is None:
        row.completed_at = now
        newly = True
    enrollment.last_lesson_id = lesson.id
    session.flush()
    refresh_enrollment(session, enrollment)
    return newly


def lesson_requirement(session: Session, enrollment: Enrollment) -> Requirement | None:
    """Built-in rule: every required lesson of the course is done."""
    course = enrollment.course
    if not course.require_lessons:
        return None
    total, done = lesson_counts(session, enrollment)
    from flask_babel import lazy_gettext as _l

    return Requirement("lessons", str(_l("Required lessons completed")), done >= total, f"{done}/{total}")


def lesson_counts(session: Session, enrollment: Enrollment) -> tuple[int, int]:
    """(required lessons in the course, of which done) in one statement."""
    done_sq = (
        select(LessonProgress.lesson_id)
        .where(LessonProgress.enrollment_id == enrollment.id, LessonProgress.completed_at.is_not(None))
        .scalar_subquery()
    )
    total, done = session.execute(
        select(
            func.count(Lesson.id),
            func.count(Lesson.id).filter(Lesson.id.in_(done_sq)),
        ).where(Lesson.course_id == enrollment.course_id, Lesson.required.is_(True))
    ).one()
    return int(total), int(done)


def requirements_for(session: Session, enrollment: Enrollment) -> list[Requirement]:
    results: list[Requirement] = []
    lessons = lesson_requirement(session, enrollment)
    if lessons is not None:
        results.append(lessons)
    for check in registered_requirements():
        found = check(session, enrollment)
        if found is None:
            continue
        results.extend(found if isinstance(found, list) else [found])
    return results


def refresh_enrollment(session: Session, enrollment: Enrollment) -> list[Requirement]:
    """Recompute progress (0–100) and completion; completion is stored once, with its time.

    Progress is the share of required lessons done. An enrollment that completed
    stays complete when a later course version adds lessons.
    """
    total, done = lesson_counts(session, enrollment)
    percent = 100 if total == 0 else round(100 * done / total)
    enrollment.progress_percent = max(0, min(100, percent))
    requirements = requirements_for(session, enrollment)
    if enrollment.completed_at is None and all(r.done for r in requirements):
        enrollment.completed_at = utcnow()
        enrollment.completed_version = enrollment.course.version
        session.flush()
        enrollment_completed.send(enrollment, session=session)
    session.flush()
    return requirements
