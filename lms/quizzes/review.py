"""What learners and trainers see of an attempt: the questions without the key, the review, the policy.

Nothing here writes. The kind of each question supplies its part of the view
(``QuestionKind.public`` / ``answer_key``) and names the template partial that
shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from lms.db import utcnow
from lms.quizzes import kinds
from lms.quizzes.attempts import attempts_left
from lms.quizzes.models import Attempt, Quiz, Review, SnapshotEntry


def public_question(entry: SnapshotEntry, response: Any) -> dict[str, Any]:
    """What the take page may show: prompt and choices in display order, no answer key."""
    kind = kinds.get(entry.kind)
    return {
        "id": entry.question_id,
        "kind": entry.kind,
        "template": kind.template,
        "points": entry.points,
        "prompt_html": entry.prompt_html,
        "name": entry.field_name(),
        "answered": kind.is_answered(response),
        **kind.public(entry, response),
    }


def answered_count(entries: Sequence[SnapshotEntry], responses: Mapping[int, Any]) -> int:
    return sum(1 for e in entries if kinds.get(e.kind).is_answered(responses.get(e.question_id)))


def unanswered_numbers(entries: Sequence[SnapshotEntry], responses: Mapping[int, Any]) -> list[int]:
    """Question numbers (from 1, in display order) without an answer."""
    return [
        i + 1
        for i, e in enumerate(entries)
        if not kinds.get(e.kind).is_answered(responses.get(e.question_id))
    ]


def question_numbers(entries: Sequence[SnapshotEntry]) -> dict[int, int]:
    """{question id: its number on the pages (from 1)}."""
    return {e.question_id: i + 1 for i, e in enumerate(entries)}


def may_review(
    quiz: Quiz, attempt: Attempt, attempts: Sequence[Attempt], *, now: dt.datetime | None = None
) -> bool:
    """May the learner see correct answers and explanations of this (submitted) attempt?

    after_close: once the quiz's closes_at has passed, or (without one) once the
    learner has no attempts left.
    """
    if attempt.is_open:
        return False
    if quiz.review == Review.AFTER_SUBMIT:
        return True
    if quiz.review == Review.NEVER:
        return False
    now = now or utcnow()
    if quiz.closes_at is not None:
        return now >= quiz.closes_at
    return attempts_left(quiz, attempts) == 0 and not any(a.is_open for a in attempts)


def review_items(
    entries: Sequence[SnapshotEntry], responses: Mapping[int, Any], *, reveal: bool
) -> list[dict[str, Any]]:
    """Per-question results for the result page; answer key and explanation only when reveal."""
    items = []
    for entry in entries:
        kind = kinds.get(entry.kind)
        response = responses.get(entry.question_id)
        score = kind.grade(entry.data, response, entry.points)
        view = public_question(entry, response)
        view["score"] = score.points
        view["correct"] = score.correct
        view["partial"] = 0 < score.fraction < 1
        if reveal:
            view["explanation_html"] = entry.explanation_html
            view["key"] = kind.answer_key(entry, response)
        items.append(view)
    return items
