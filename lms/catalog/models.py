"""Course → Module → Lesson, their images, prerequisites and version history.

Modules and lessons carry a stable ``key`` (their folder/file name) so that a
re-import updates them in place and learners' progress survives a new version.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Integer,
    LargeBinary,
    Numeric,
    Select,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, created_at, fk, intpk, utcnow

if TYPE_CHECKING:
    from lms.auth.models import User


class CourseStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Topic(StrEnum):
    DIGITAL_SIGNATURE = "digital-signature"
    E_DOCUMENTS = "e-documents"
    ONLINE_SERVICES = "online-services"
    OTHER = "other"


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(String(40), default=Topic.OTHER, index=True)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.DRAFT, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    estimated_hours: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False), default=1)
    certificate_validity_months: Mapped[int] = mapped_column(Integer, default=0)
    sequential_modules: Mapped[bool] = mapped_column(Boolean, default=False)
    # Public: visitors read its lessons without an account (nothing is stored for them).
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    require_lessons: Mapped[bool] = mapped_column(Boolean, default=True)
    require_quizzes: Mapped[bool] = mapped_column(Boolean, default=True)
    require_final_exam: Mapped[bool] = mapped_column(Boolean, default=True)
    require_attendance: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the final exam opens: "modules" (every module complete), "lessons" (every required lesson
    # read), "enrolment", or a day "YYYY-MM-DD" (local). Decision 1609.
    final_exam_opens: Mapped[str] = mapped_column(String(20), default="modules", server_default="modules")
    # Folded (no diacritics, lower-case) title + summary for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Hash of the source files of the current version (import detects changes).
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    prerequisite_links: Mapped[list[CoursePrerequisite]] = relationship(
        foreign_keys="CoursePrerequisite.course_id",
        cascade="all, delete-orphan",
        back_populates="course",
    )
    # Read-only: who may manage the course (lms.auth.access); rows are written as CourseAuthor.
    authors: Mapped[list[CourseAuthor]] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<Course {self.slug} v{self.version}>"

    @property
    def is_published(self) -> bool:
        """Learners can take it: only such a course may be assigned, put in a class or certified."""
        return self.status == CourseStatus.PUBLISHED and (self.version or 0) >= 1


def published_courses() -> Select[tuple[Course]]:
    """SELECT of the courses learners can take (the pickers of HR forms and report filters), by title."""
    return (
        select(Course)
        .where(Course.status == CourseStatus.PUBLISHED, Course.version >= 1)
        .order_by(Course.title, Course.id)
    )


class CoursePrerequisite(Base):
    __tablename__ = "course_prerequisites"
    __table_args__ = (UniqueConstraint("course_id", "required_course_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    required_course_id: Mapped[int] = fk("courses.id")

    course: Mapped[Course] = relationship(foreign_keys=[course_id], back_populates="prerequisite_links")
    required_course: Mapped[Course] = relationship(foreign_keys=[required_course_id])


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Module {self.key}>"


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "key"),)

    id: Mapped[intpk]
    module_id: Mapped[int] = fk("modules.id")
    course_id: Mapped[int] = fk("courses.id")
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(255))
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=10)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Sanitised once by lms.core.html when imported or saved; shown as-is.
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Title and plain text folded (lower case, no diacritics) for the catalogue search (decision 1605).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    module: Mapped[Module] = relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.key}>"


class CourseAsset(Base):
    """An image used by a course's lessons, stored in the database (stateless web tier)."""

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CourseVersion(Base):
    """One published version of a course: who, when, how, and what changed."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    source: Mapped[str] = mapped_column(String(20), default="import")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    changes: Mapped[str] = mapped_column(Text, default="")


class CourseAuthor(Base):
    """A trainer allowed to edit and publish a course, and to see its quiz statistics.

    Managed by lms.authoring; checked by lms.auth.access (``manages_course``, ``managed_courses``)."""

    __tablename__ = "course_authors"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    user_id: Mapped[int] = fk("users.id")
    added_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship("User", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<CourseAuthor course={self.course_id} user={self.user_id}>"


# When a course's final exam opens (Course.final_exam_opens): a keyword, or a local day "YYYY-MM-DD".
FINAL_EXAM_OPENINGS = ("modules", "lessons", "enrolment")


def exam_opening(value: object) -> str | None:
    """The stored form of a final-exam opening (a keyword or an ISO day), or None if it is not one."""
    if isinstance(value, dt.date):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) else value.date().isoformat()
    text = str(value or "").strip()
    if text in FINAL_EXAM_OPENINGS:
        return text
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def exam_opening_day(value: str) -> dt.date | None:
    """The day of a dated opening, None for the keywords."""
    return None if value in FINAL_EXAM_OPENINGS else dt.date.fromisoformat(value)
