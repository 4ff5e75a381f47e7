"""Quiz (per module, or the course's final exam) → Question; Attempt → Answer.

Questions are keyed by their ``key`` (the ``id`` in quiz.yaml) within a course,
so a re-import updates them in place. An attempt stores a snapshot of the
questions it drew (content, answer key, display order), so content changes
never alter an attempt in progress; only an explicit regrade rewrites the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from lms.catalog.models import Course, Module
from lms.db import Base, created_at, fk, intpk, utcnow


class Review(StrEnum):
    AFTER_SUBMIT = "after_submit"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


class Quiz(Base):
    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    # None for the course's final exam.
    module_id: Mapped[int | None] = fk("modules.id", ondelete="SET NULL")
    # The module's folder key, or "final" for the final exam.
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255))
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)
    max_attempts: Mapped[int] = mapped_column(Integer, default=0)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=0)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    questions_per_page: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[str] = mapped_column(String(20), default=Review.AFTER_SUBMIT)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    closes_at: Mapped[dt.datetime | None]
    # [{"tag": str, "draw": int}]; empty = the quiz's own questions.
    pools: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # False when the file was removed; kept for attempt history.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position", foreign_keys="Question.quiz_id"
    )
    attempts: WriteOnlyMapped[Attempt] = relationship(back_populates="quiz", passive_deletes=True)

    @property
    def is_final(self) -> bool:
        return self.key == "final"

    def __repr__(self) -> str:
        return f"<Quiz {self.key} course={self.course_id}>"


class Question(Base):
    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    # The quiz file that defines it (pools may draw it into other quizzes).
    quiz_id: Mapped[int | None] = fk("quizzes.id", ondelete="SET NULL")
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[float] = mapped_column(Float, default=1.0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    prompt: Mapped[str] = mapped_column(Text)
    prompt_html: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    # Kind-specific content and answer key (see lms.quizzes.grading).
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # False once removed from the files; kept for attempts and statistics.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    quiz: Mapped[Quiz | None] = relationship(back_populates="questions", foreign_keys=[quiz_id])

    def __repr__(self) -> str:
        return f"<Question {self.key} {self.kind}>"


@dataclass(frozen=True, slots=True)
class SnapshotEntry:
    """What an attempt keeps of one drawn question (stored as JSON in ``Attempt.snapshot``).

    ``data`` is the question's kind-specific content and answer key at the time
    (see ``lms.quizzes.kinds``); ``order`` maps display positions to original
    option/item indices (empty when the kind shows nothing in an order).
    """

    question_id: int
    key: str
    kind: str
    points: float
    prompt_html: str
    explanation_html: str
    data: dict[str, Any]
    order: list[int]

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SnapshotEntry:
        return cls(**value)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def field_name(self, index: int | None = None) -> str:
        """The name of the answer's form field (``q12``) or of its part ``index`` (``q12_3``)."""
        base = f"q{self.question_id}"
        return base if index is None else f"{base}_{index}"


class Attempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[intpk]
    quiz_id: Mapped[int] = fk("quizzes.id")
    user_id: Mapped[int] = fk("users.id")
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[created_at]
    deadline_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # "learner" (submitted) or "overdue" (closed at the deadline).
    closed_by: Mapped[str] = mapped_column(String(20), default="")
    # Highest answer sequence number accepted (stale saves get 409).
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # SnapshotEntry.to_json() of each drawn question, in display order; read it as ``entries``.
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    graded_at: Mapped[dt.datetime | None]

    quiz: Mapped[Quiz] = relationship(back_populates="attempts")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None

    @property
    def entries(self) -> list[SnapshotEntry]:
        """The drawn questions, typed, in display order."""
        return [SnapshotEntry.from_json(e) for e in self.snapshot]

    def __repr__(self) -> str:
        return f"<Attempt {self.id} quiz={self.quiz_id} user={self.user_id} #{self.number}>"


class Answer(Base):
    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[intpk]
    attempt_id: Mapped[int] = fk("quiz_attempts.id")
    question_id: Mapped[int] = fk("quiz_questions.id")
    # In original indices (options, items, rights), never display positions.
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    score: Mapped[float | None] = mapped_column(Float)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    def __repr__(self) -> str:
        return f"<Answer attempt={self.attempt_id} question={self.question_id} seq={self.seq}>"
