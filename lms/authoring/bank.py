"""The draft's quizzes and question bank, stored in the quiz-file format.

Every save is validated by the quiz engine's own parser
(``lms.quizzes.part.parse_quiz_file``), so a question the importer would
refuse (e.g. single choice with zero or two correct options) cannot be saved.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.authoring.errors import EditConflictError
from lms.authoring.files import dump_yaml
from lms.authoring.models import CourseDraft, DraftModule, DraftQuestion, DraftQuiz
from lms.catalog.parts import ImportErrors, ImportProblem
from lms.core.text import fold
from lms.db import utcnow
from lms.quizzes import kinds

REVIEW_CHOICES = ("after_submit", "after_close", "never")
DEFAULT_SETTINGS: dict[str, Any] = {
    "pass_mark": 70,
    "max_attempts": 0,
    "time_limit_minutes": 0,
    "shuffle_questions": True,
    "shuffle_options": True,
    "questions_per_page": 0,
    "review": "after_submit",
    "required": True,
    "pools": [],
}


class QuizValidationError(Exception):
    """The quiz engine refused the data; ``problems`` name the field and the reason."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def parse_quiz(settings: dict[str, Any], questions: list[dict[str, Any]]) -> tuple[Any, list[ImportProblem]]:
    """Run the quiz engine's parser over one quiz file built from the data: (QuizSpec, problems)."""
    from lms.quizzes.part import parse_quiz_file

    data = dict(settings)
    if questions:
        data["questions"] = questions
    errors = ImportErrors()
    with tempfile.TemporaryDirectory(prefix="lms-quiz-") as tmp:
        path = Path(tmp) / "quiz.yaml"
        path.write_text(dump_yaml(data), encoding="utf-8")
        spec = parse_quiz_file(path, "quiz.yaml", "draft", errors)
    return spec, errors.problems


def validate_quiz(settings: dict[str, Any], questions: list[dict[str, Any]]) -> list[ImportProblem]:
    return parse_quiz(settings, questions)[1]


_QUESTION_DEFAULTS: dict[str, Any] = {"tags": [], "points": 1}


def canonical_question(data: dict[str, Any]) -> dict[str, Any]:
    """The question without keys that hold their default (as the exporter writes it)."""
    try:
        defaults = {**_QUESTION_DEFAULTS, **kinds.get(data.get("kind", "")).defaults}
    except kinds.UnknownKindError:
        defaults = _QUESTION_DEFAULTS
    return {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}


def quiz_for(draft: CourseDraft, module: DraftModule | None) -> DraftQuiz | None:
    for quiz in draft.quizzes:
        if (module is None and quiz.module_id is None and quiz.module is None) or (
            module is not None and quiz.module is module
        ):
            return quiz
    return None


def add_quiz(session: Session, draft: CourseDraft, module: DraftModule | None, *, by: User) -> DraftQuiz:
    """The module's quiz (or the final exam when module is None), created with defaults."""
    quiz = quiz_for(draft, module)
    if quiz is not None:
        return quiz
    title = str(_l("Quiz: %(title)s", title=module.title)) if module is not None else str(_l("Final exam"))
    quiz = DraftQuiz(module=module, settings={"title": title, **DEFAULT_SETTINGS}, updated_by_id=by.id)
    draft.quizzes.append(quiz)
    draft.touch(by)
    session.flush()
    return quiz


def remove_quiz(session: Session, quiz: DraftQuiz, *, by: User) -> None:
    draft = quiz.draft
    draft.quizzes.remove(quiz)
    if quiz.module is not None:
        quiz.module.quiz = None
    draft.touch(by)
    session.flush()


def save_quiz_settings(
    session: Session, quiz: DraftQuiz, settings: dict[str, Any], *, expected_version: int, by: User
) -> None:
    if expected_version != quiz.lock_version:
        raise EditConflictError(quiz.lock_version, None, quiz.updated_at)
    new = {**quiz.settings, **settings}
    questions = [q.data for q in quiz.questions]
    if not questions and not new.get("pools"):
        # Settings may be saved before the first question; publishing checks emptiness.
        questions = [
            {"id": "placeholder", "kind": "true_false", "prompt": "-", "explanation": "-", "answer": True}
        ]
    problems = validate_quiz(new, questions)
    problems += pool_problems(quiz.draft, new.get("pools", []))
    if problems:
        raise QuizValidationError(problems)
    quiz.settings = new
    quiz.updated_at = utcnow()
    quiz.updated_by_id = by.id
    quiz.draft.touch(by)
    session.flush()


def all_questions(draft: CourseDraft) -> list[DraftQuestion]:
    return [q for quiz in draft.quizzes for q in quiz.questions]


def tag_counts(draft: CourseDraft) -> Counter[str]:
    counts: Counter[str] = Counter()
    for q in all_questions(draft):
        counts.update(set(q.data.get("tags", [])))
    return counts


def pool_problems(draft: CourseDraft, pools: list[dict[str, Any]]) -> list[ImportProblem]:
    counts = tag_counts(draft)
    out = []
    for i, pool in enumerate(pools):
        have = counts.get(pool.get("tag", ""), 0)
        if have < int(pool.get("draw", 0)):
            out.append(
                ImportProblem(
                    "",
                    None,
                    f"pools[{i}].draw",
                    str(
                        _l(
                            "Tag “%(tag)s” has %(have)d questions in the course, fewer than the %(draw)d to draw.",
                            tag=pool.get("tag", ""),
                            have=have,
                            draw=int(pool.get("draw", 0)),
                        )
                    ),
                )
            )
    return out


@dataclass(frozen=True)
class PoolCheck:
    quiz: DraftQuiz
    tag: str
    draw: int
    available: int

    @property
    def ok(self) -> bool:
        return self.available >= self.draw


def pool_report(draft: CourseDraft) -> list[PoolCheck]:
    """Each pool of each quiz with how many questions the bank has for its tag."""
    counts = tag_counts(draft)
    return [
        PoolCheck(quiz, pool["tag"], int(pool["draw"]), counts.get(pool["tag"], 0))
        for quiz in draft.quizzes
        for pool in quiz.settings.get("pools", [])
    ]


def new_question_key(draft: CourseDraft, prompt: str) -> str:
    taken = {q.key for q in all_questions(draft)}
    base = re.sub(r"[^a-z0-9]+", "-", fold(prompt)).strip("-")[:40].strip("-") or "cau-hoi"
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    return key


def save_question(
    session: Session,
    quiz: DraftQuiz,
    question: DraftQuestion | None,
    data: dict[str, Any],
    *,
    expected_version: int | None,
    by: User,
) -> DraftQuestion:
    """Create or update a question after the quiz engine has accepted it."""
    if question is not None and expected_version != question.lock_version:
        raise EditConflictError(question.lock_version, question.updated_by, question.updated_at)
    draft = quiz.draft
    data = canonical_question(data)
    if not data.get("id"):
        data["id"] = new_question_key(draft, str(data.get("prompt", "")))
    others = {q.key for q in all_questions(draft) if q is not question}
    problems = validate_quiz({"title": "x", "pass_mark": 50}, [data])
    if data["id"] in others:
        problems.append(
            ImportProblem(
                "", None, "questions[0].id", str(_l("This id is already used by another question."))
            )
        )
    if problems:
        raise QuizValidationError(problems)
    if question is None:
        question = DraftQuestion(
            key=data["id"], position=len(quiz.questions) + 1, data=data, updated_by_id=by.id
        )
        quiz.questions.append(question)
    else:
        question.key = data["id"]
        question.data = data
        question.updated_at = utcnow()
        question.updated_by_id = by.id
    draft.touch(by)
    session.flush()
    return question


def delete_question(session: Session, question: DraftQuestion, *, by: User) -> None:
    quiz = question.quiz
    quiz.questions.remove(question)
    for pos, q in enumerate(quiz.questions, start=1):
        q.position = pos
    quiz.draft.touch(by)
    session.flush()


def move_question(session: Session, question: DraftQuestion, direction: str, *, by: User) -> None:
    quiz = question.quiz
    items = list(quiz.questions)
    i = items.index(question)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
        for pos, q in enumerate(items, start=1):
            q.position = pos
        quiz.questions.sort(key=lambda q: q.position)
    quiz.draft.touch(by)
    session.flush()


def quizzes_snapshot(draft: CourseDraft) -> list[dict[str, Any]]:
    return [
        {
            "module": quiz.module.key if quiz.module is not None else None,
            "settings": dict(quiz.settings),
            "questions": [dict(q.data) for q in quiz.questions],
        }
        for quiz in draft.quizzes
    ]


def load_quizzes(draft: CourseDraft, data: list[dict[str, Any]], by_id: int | None) -> None:
    """Replace the draft's quizzes with snapshot data (modules must be loaded first)."""
    draft.quizzes.clear()
    modules = {m.key: m for m in draft.modules}
    for item in data:
        module = modules.get(item["module"]) if item["module"] else None
        if item["module"] and module is None:
            continue
        quiz = DraftQuiz(
            module=module, settings={**DEFAULT_SETTINGS, **item["settings"]}, updated_by_id=by_id
        )
        draft.quizzes.append(quiz)
        for pos, q in enumerate(item["questions"], start=1):
            quiz.questions.append(
                DraftQuestion(key=q["id"], position=pos, data=canonical_question(q), updated_by_id=by_id)
            )
