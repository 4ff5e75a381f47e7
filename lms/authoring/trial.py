"""Trying a draft quiz as a learner would, with the quiz engine's own code, storing nothing.

The questions are drawn and shuffled from a seed carried in the form, so the
page and its submission see the same order without any attempt row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from lms.authoring.bank import parse_quiz
from lms.authoring.models import CourseDraft, DraftQuestion, DraftQuiz
from lms.core.html import render_markdown
from lms.quizzes import kinds
from lms.quizzes.models import SnapshotEntry
from lms.quizzes.review import public_question, review_items


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
    chosen: list[DraftQuestion] = []
    if not pools:
        chosen = list(quiz.questions)
    else:
        bank = sorted((q for qz in draft.quizzes for q in qz.questions), key=lambda q: q.key)
        taken: set[int] = set()
        for pool in pools:
            candidates = [q for q in bank if pool["tag"] in q.data.get("tags", []) and q.id not in taken]
            picked = rng.sample(candidates, min(int(pool["draw"]), len(candidates)))
            taken.update(q.id for q in picked)
            chosen.extend(picked)
    if quiz.settings.get("shuffle_questions", True):
        rng.shuffle(chosen)
    return chosen


def trial_entries(draft: CourseDraft, quiz: DraftQuiz, seed: int) -> list[SnapshotEntry]:
    """Attempt-snapshot entries (the quiz engine's format) for the draft quiz."""
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
        kind = kinds.get(spec.kind)
        data = kind.render(spec.data)
        entries.append(
            SnapshotEntry(
                question_id=q.id,
                key=q.key,
                kind=spec.kind,
                points=spec.points,
                prompt_html=render_markdown(spec.prompt),
                explanation_html=render_markdown(spec.explanation),
                data=data,
                order=kind.display_order(
                    data, rng, shuffle_options=quiz.settings.get("shuffle_options", True)
                ),
            )
        )
    return entries


def public_questions(entries: list[SnapshotEntry]) -> list[dict[str, Any]]:
    return [public_question(e, None) for e in entries]


def grade_trial(
    entries: list[SnapshotEntry], responses: dict[int, Any], errors: dict[int, str], pass_mark: int
) -> TrialResult:
    """Grade responses (read from the form by ``kinds.read_page``) with the engine's graders; nothing is stored."""
    items = review_items(entries, responses, reveal=True)
    earned = sum(item["score"] for item in items)
    total = sum(e.points for e in entries)
    percent = 100 * earned / total if total else 0
    return TrialResult(items, earned, total, percent >= pass_mark, errors)
