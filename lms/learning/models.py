"""Enrollment and LessonProgress."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Course
from lms.db import Base, created_at, fk, intpk


class EnrollmentSource(StrEnum):
    SELF = "self"
    ASSIGNED = "assigned"
    MANUAL = "manual"


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = fk("users.id")
    course_id: Mapped[int] = fk("courses.id")
    source: Mapped[str] = mapped_column(String(20), default=EnrollmentSource.SELF)
    enrolled_at: Mapped[created_at]
    due_at: Mapped[dt.datetime | None]
    # Denormalised 0–100, recomputed by services whenever progress or content changes.
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    completed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # Course version at completion (who completed stays complete across versions).
    completed_version: Mapped[int | None]

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    def __repr__(self) -> str:
        return f"<Enrollment user={self.user_id} course={self.course_id}>"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class LessonProgress(Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_id"),)

    id: Mapped[intpk]
    enrollment_id: Mapped[int] = fk("enrollments.id")
    lesson_id: Mapped[int] = fk("lessons.id")
    completed_at: Mapped[dt.datetime | None]
    last_seen_at: Mapped[dt.datetime | None]
