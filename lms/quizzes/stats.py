"""Question statistics for trainers: facility, discrimination, and each kind's own counts."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.quizzes import kinds
from lms.quizzes.kinds import PartStat
from lms.quizzes.models import Answer, Attempt, Question, Quiz, SnapshotEntry

__all__ = ["PartStat", "QuestionStats", "attempt_counts", "question_stats"]


@dataclass
class QuestionStats:
    question_id: int
    key: str
    kind: str
    prompt_html: str
    template: str
    responses: int = 0
    facility: float | None = None  # mean share of points, 0–1
    discrimination: float | None = None  # corrected item-total correlation, −1–1
    # (option html or "true"/"false", times chosen, is the key)
    choices: list[tuple[str, int, bool]] = field(default_factory=list)
    # matching: one row per pair (left html, right html); ordering: one per item in the
    # correct order (position from 1, item html) — with how often it was right, of the
    # answered responses
    part_kind: str = ""  # "pair" or "position"
    parts: list[PartStat] = field(default_factory=list)


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def question_stats(session: Session, quiz: Quiz) -> list[QuestionStats]:
    """Facility, discrimination and the kind's counts per question over submitted attempts.

    Three statements whatever the number of attempts: attempts, their answers, the questions.
    """
    attempts = session.execute(
        select(Attempt.id, Attempt.snapshot, Attempt.score).where(
            Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None)
        )
    ).all()
    answers: dict[tuple[int, int], Any] = {}
    if attempts:
        rows = session.execute(
            select(Answer.attempt_id, Answer.question_id, Answer.response, Answer.score)
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None))
        ).all()
        answers = {(r.attempt_id, r.question_id): r for r in rows}
    questions = {
        q.id: q
        for q in session.scalars(
            select(Question).where(Question.course_id == quiz.course_id).order_by(Question.position)
        )
    }
    # per question: (share of its points, rest of the attempt's score) per attempt; responses given
    per_q: dict[int, list[tuple[float, float]]] = defaultdict(list)
    given: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for attempt in attempts:
        total = attempt.score or 0.0
        for entry in map(SnapshotEntry.from_json, attempt.snapshot):
            qid = entry.question_id
            row = answers.get((attempt.id, qid))
            item = (row.score or 0.0) if row is not None else 0.0
            per_q[qid].append((item / (entry.points or 1), total - item))
            if row is not None and row.response is not None:
                given[qid].append((entry.kind, row.response))
    own = [q.id for q in quiz.questions]
    order = own + [qid for qid in per_q if qid not in own]
    return [
        _stats(questions[qid], per_q.get(qid, []), given.get(qid, [])) for qid in order if qid in questions
    ]


def _stats(
    question: Question, pairs: list[tuple[float, float]], given: list[tuple[str, Any]]
) -> QuestionStats:
    kind = kinds.get(question.kind)
    stats = QuestionStats(
        question.id, question.key, question.kind, question.prompt_html, kind.template, responses=len(pairs)
    )
    if pairs:
        stats.facility = sum(p[0] for p in pairs) / len(pairs)
        stats.discrimination = _pearson([p[0] for p in pairs], [p[1] for p in pairs])
    # Responses are read by the kind they were given under (a question may have changed kind since).
    part = kind.stats(question.data, [r for k, r in given if k == question.kind])
    stats.choices, stats.part_kind, stats.parts = part.choices, part.part_kind, part.parts
    return stats


def attempt_counts(session: Session, quiz: Quiz) -> tuple[int, int]:
    """(submitted attempts, of which passed)."""
    total, passed = session.execute(
        select(func.count(Attempt.id), func.count(Attempt.id).filter(Attempt.passed.is_(True))).where(
            Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None)
        )
    ).one()
    return int(total), int(passed)
