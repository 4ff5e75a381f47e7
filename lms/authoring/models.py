"""Authors of a course, the working draft of its content, and published snapshots.

Learners only ever see the published tables of ``lms.catalog`` (Course, Module,
Lesson). Trainers edit a draft copy (CourseDraft → DraftModule → DraftLesson);
"publish" copies the draft onto the published tables by the modules' and
lessons' stable ``key`` (so learners' progress survives), bumps the course
version and keeps a JSON snapshot of what was published, from which an earlier
version can be restored as a new draft.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Course, CourseAuthor
from lms.db import Base, created_at, fk, intpk, utcnow

__all__ = ["CourseAuthor"]  # lives in lms.catalog.models (quizzes checks authorship too)


class CourseDraft(Base):
    """The working copy of one course's metadata (one per course)."""

    __tablename__ = "course_drafts"

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id", unique=True)
    # Published version this draft started from (a newer import makes it stale).
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    # True once anything was edited since the last publish/reset.
    dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    estimated_hours: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False), default=1)
    certificate_validity_months: Mapped[int] = mapped_column(Integer, default=0)
    sequential_modules: Mapped[bool] = mapped_column(Boolean, default=False)
    require_lessons: Mapped[bool] = mapped_column(Boolean, default=True)
    require_quizzes: Mapped[bool] = mapped_column(Boolean, default=True)
    require_final_exam: Mapped[bool] = mapped_column(Boolean, default=True)
    require_attendance: Mapped[bool] = mapped_column(Boolean, default=False)
    final_exam_opens: Mapped[str] = mapped_column(String(20), default="modules", server_default="modules")
    prerequisite_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Bumped by metadata saves only (lesson saves have their own lock_version).
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    course: Mapped[Course] = relationship()
    updated_by: Mapped[User | None] = relationship()
    modules: Mapped[list[DraftModule]] = relationship(
        back_populates="draft", order_by="DraftModule.position", cascade="all, delete-orphan"
    )
    quizzes: Mapped[list[DraftQuiz]] = relationship(
        back_populates="draft", order_by="DraftQuiz.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<CourseDraft course={self.course_id}>"

    def touch(self, by: User) -> None:
        """Record that by changed something in the draft."""
        self.dirty = True
        self.updated_at = utcnow()
        self.updated_by_id = by.id


class DraftModule(Base):
    __tablename__ = "draft_modules"
    __table_args__ = (UniqueConstraint("draft_id", "key"),)

    id: Mapped[intpk]
    draft_id: Mapped[int] = fk("course_drafts.id")
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str] = mapped_column(Text, default="")

    draft: Mapped[CourseDraft] = relationship(back_populates="modules")
    lessons: Mapped[list[DraftLesson]] = relationship(
        back_populates="module", order_by="DraftLesson.position", cascade="all, delete-orphan"
    )
    quiz: Mapped[DraftQuiz | None] = relationship(back_populates="module", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<DraftModule {self.key}>"


class DraftLesson(Base):
    __tablename__ = "draft_lessons"
    __table_args__ = (UniqueConstraint("module_id", "key"),)

    id: Mapped[intpk]
    module_id: Mapped[int] = fk("draft_modules.id")
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(255))
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=10)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Sanitised by lms.core.html.render_markdown on every save.
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Optimistic concurrency: a save must name the version it was edited from.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    module: Mapped[DraftModule] = relationship(back_populates="lessons")
    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}

    def __repr__(self) -> str:
        return f"<DraftLesson {self.key}>"


class DraftQuiz(Base):
    """A module quiz (module set) or the final exam (module None), in the quiz-file format.

    ``settings`` holds the keys of quiz.yaml except ``questions`` (title,
    pass_mark, max_attempts, time_limit_minutes, review, pools, ...); the quiz
    engine's own parser validates them.
    """

    __tablename__ = "draft_quizzes"
    __table_args__ = (UniqueConstraint("draft_id", "module_id"),)

    id: Mapped[intpk]
    draft_id: Mapped[int] = fk("course_drafts.id")
    module_id: Mapped[int | None] = fk("draft_modules.id")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    draft: Mapped[CourseDraft] = relationship(back_populates="quizzes")
    module: Mapped[DraftModule | None] = relationship(back_populates="quiz")
    questions: Mapped[list[DraftQuestion]] = relationship(
        back_populates="quiz", order_by="DraftQuestion.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def key(self) -> str:
        return self.module.key if self.module is not None else "final"

    def __repr__(self) -> str:
        return f"<DraftQuiz {self.key}>"


class DraftQuestion(Base):
    """One question of the course's bank, as its quiz-file mapping (id, kind, prompt, ...)."""

    __tablename__ = "draft_questions"

    id: Mapped[intpk]
    quiz_id: Mapped[int] = fk("draft_quizzes.id")
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    quiz: Mapped[DraftQuiz] = relationship(back_populates="questions")
    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}

    def __repr__(self) -> str:
        return f"<DraftQuestion {self.key}>"


class CourseSnapshot(Base):
    """The full content of one published version (restorable as a new draft)."""

    __tablename__ = "course_snapshots"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<CourseSnapshot course={self.course_id} v{self.number}>"
