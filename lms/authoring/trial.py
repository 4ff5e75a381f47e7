"""Trying a draft quiz as a learner would, with the quiz engine's own code, storing nothing.

The questions are drawn and shuffled from a seed carried in the form, so the
page and its submission see the same order without any attempt row.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from lms.authoring.bank import parse_quiz
from lms.authoring.models import CourseDraft, DraftQuestion, DraftQuiz
from lms.core.html import render_markdown


@dataclass
class TrialResult:
    items: list[dict[str, Any]]
    earned: float
    total: float
    passed: bool
    errors: dict[int, str]

    @property
    def percent(self) -> float:
        return round(100 * self.earned / self.total, 1) if self.total else 0.0


def _draw(draft: CourseDraft, quiz: DraftQuiz, rng: random.Random) -> list[DraftQuestion]:
    pools = quiz.settings.get("pools") or []
    if not pools:
        chosen = list(quiz.questions)
    else:
        bank = sorted((q for qz in draft.quizzes for q in qz.questions), key=lambda q: q.key)
        chosen, taken = [], set[int]()
        for pool in pools:
            candidates = [q for q in bank if pool["tag"] in q.data.get("tags", []) and q.id not in taken]
            picked = rng.sample(candidates, min(int(pool["draw"]), len(candidates)))
            taken.update(q.id for q in picked)
            chosen.extend(picked)
    if quiz.settings.get("shuffle_questions", True):
        rng.shuffle(chosen)
    return chosen


def trial_entries(draft: CourseDraft, quiz: DraftQuiz, seed: int) -> list[dict[str, Any]]:
    """Attempt-snapshot entries (the quiz engine's format) for the draft quiz."""
    from lms.quizzes import services as quiz_services
    from lms.quizzes.part import render_data

    rng = random.Random(seed)
    chosen = _draw(draft, quiz, rng)
    # The engine's parser normalises the source (defaults, NFC) exactly as on import.
    parsed, _problems = parse_quiz({"title": "trial", "pass_mark": 0}, [q.data for q in chosen])
    specs = {spec.key: spec for spec in (parsed.questions if parsed is not None else [])}
    entries = []
    for q in chosen:
        spec = specs.get(q.key)
        if spec is None:
            continue
        question = SimpleNamespace(
            id=q.id,
            key=q.key,
            kind=spec.kind,
            points=spec.points,
            prompt_html=render_markdown(spec.prompt),
            explanation_html=render_markdown(spec.explanation),
            data=render_data(spec.kind, spec.data),
        )
        entries.append(
            quiz_services.snapshot_entry(
                question,  # type: ignore[arg-type]
                rng,
                shuffle_options=quiz.settings.get("shuffle_options", True),
            )
        )
    return entries


def public_questions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from lms.quizzes import services as quiz_services

    return [quiz_services.public_question(e, None) for e in entries]


def grade_trial(
    entries: list[dict[str, Any]], getlist: Callable[[str], list[str]], pass_mark: int
) -> TrialResult:
    """Grade the submitted form with the engine's graders; nothing is stored."""
    from lms.quizzes import services as quiz_services

    responses: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for entry in entries:
        try:
            responses[entry["question_id"]] = quiz_services.response_from_fields(entry, getlist)
        except quiz_services.BadAnswerError as exc:
            errors[entry["question_id"]] = str(exc)
            responses[entry["question_id"]] = None
    items = quiz_services.review_items(SimpleNamespace(snapshot=entries), responses, reveal=True)  # type: ignore[arg-type]
    earned = sum(item["score"] for item in items)
    total = sum(e["points"] for e in entries)
    percent = 100 * earned / total if total else 0
    return TrialResult(items, earned, total, percent >= pass_mark, errors)
