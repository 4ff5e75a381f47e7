"""The "quizzes" course part: quiz.yaml in module folders, final_exam.yaml in the course folder.

``parse`` validates without the database, ``load`` upserts quizzes and
questions by key inside the importer's transaction, ``export`` writes the files
back so that parse(export(load(parse(x)))) == parse(x).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.exporter import child_path
from lms.catalog.models import Course, Module
from lms.catalog.parts import ImportErrors
from lms.quizzes import kinds
from lms.quizzes.models import Question, Quiz, Review
from lms.quizzes.source import ID_RE, Checker, Loader, render_text

QUIZ_FILE = "quiz.yaml"
FINAL_FILE = "final_exam.yaml"
FINAL_KEY = "final"

QUIZ_DEFAULTS: dict[str, Any] = {
    "max_attempts": 0,
    "time_limit_minutes": 0,
    "shuffle_questions": True,
    "shuffle_options": True,
    "questions_per_page": 0,
    "review": Review.AFTER_SUBMIT.value,
    "required": True,
    "closes_at": None,
    "pools": [],
}
QUIZ_KEYS = {"title", "pass_mark", "questions", *QUIZ_DEFAULTS}
COMMON_KEYS = {"id", "kind", "tags", "points", "prompt", "explanation"}


@dataclass
class QuestionSpec:
    key: str
    kind: str
    tags: list[str]
    points: float
    prompt: str
    explanation: str
    data: dict[str, Any]  # source fields of the kind (options, answers, ...)


@dataclass
class QuizSpec:
    key: str  # module folder name or "final"
    file: str
    title: str
    pass_mark: int
    settings: dict[str, Any]
    questions: list[QuestionSpec] = field(default_factory=list)
    pool_lines: list[int | None] = field(default_factory=list, compare=False)


@dataclass
class ParsedQuizzes:
    quizzes: list[QuizSpec] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.quizzes)


def _parse_question(ch: Checker, node: Any, path: str) -> QuestionSpec | None:
    if not isinstance(node, dict):
        ch.error(node, None, path, "must be a mapping")
        return None
    name = node.get("kind")
    if not isinstance(name, str) or name not in kinds.names():
        ch.error(node, "kind", f"{path}.kind", f"must be one of {', '.join(kinds.names())}")
        return None
    kind = kinds.get(name)
    ch.keys(node, path, COMMON_KEYS | kind.source_keys, {"id", "kind", "prompt", "explanation"})
    key = node.get("id")
    if not isinstance(key, str) or not ID_RE.match(key):
        ch.error(node, "id", f"{path}.id", "must match [a-z0-9-]+")
        key = ""
    tags = node.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and ID_RE.match(t) for t in tags):
        ch.error(node, "tags", f"{path}.tags", "must be a list of tags matching [a-z0-9-]+")
        tags = []
    points = node.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        ch.error(node, "points", f"{path}.points", "must be a number > 0")
        points = 1
    prompt = ch.text(node, "prompt", f"{path}.prompt")
    explanation = ch.text(node, "explanation", f"{path}.explanation")
    data = kind.parse(ch, node, path)
    return QuestionSpec(key, kind.name, list(tags), float(points), prompt, explanation, data)


def _parse_closes_at(ch: Checker, node: dict[str, Any]) -> dt.datetime | None:
    closes_at = node.get("closes_at")
    if closes_at is None:
        return None
    if isinstance(closes_at, str):
        try:
            closes_at = dt.datetime.fromisoformat(closes_at)
        except ValueError:
            closes_at = None
    if not isinstance(closes_at, dt.datetime) or closes_at.tzinfo is None:
        ch.error(
            node,
            "closes_at",
            "closes_at",
            "must be a date and time with a UTC offset, e.g. 2026-12-31T17:00:00+07:00",
        )
        return None
    return closes_at.astimezone(dt.UTC)


def _parse_settings(ch: Checker, node: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "max_attempts": ch.integer(node, "max_attempts", "max_attempts", 0, 0),
        "time_limit_minutes": ch.integer(node, "time_limit_minutes", "time_limit_minutes", 0, 0, 24 * 60),
        "questions_per_page": ch.integer(node, "questions_per_page", "questions_per_page", 0, 0),
    }
    for flag in ("shuffle_questions", "shuffle_options", "required"):
        settings[flag] = ch.boolean(node, flag, flag, QUIZ_DEFAULTS[flag])
    review = node.get("review", Review.AFTER_SUBMIT.value)
    if review not in {r.value for r in Review}:
        ch.error(node, "review", "review", "must be after_submit, after_close or never")
    settings["review"] = review
    settings["closes_at"] = _parse_closes_at(ch, node)
    return settings


def _parse_pools(ch: Checker, node: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int | None]]:
    pools = node.get("pools", [])
    parsed: list[dict[str, Any]] = []
    lines: list[int | None] = []
    if not isinstance(pools, list):
        ch.error(node, "pools", "pools", "must be a list")
        return parsed, lines
    for i, pool in enumerate(pools):
        ppath = f"pools[{i}]"
        if not ch.keys(pool, ppath, {"tag", "draw"}, {"tag", "draw"}):
            continue
        tag = pool.get("tag")
        if not isinstance(tag, str) or not ID_RE.match(tag):
            ch.error(pool, "tag", f"{ppath}.tag", "must match [a-z0-9-]+")
        parsed.append({"tag": tag, "draw": ch.integer(pool, "draw", f"{ppath}.draw", 1, 1)})
        lines.append(getattr(pool, "line", None))
    return parsed, lines


def parse_quiz_file(path: Path, rel: str, key: str, errors: ImportErrors) -> QuizSpec | None:
    """Parse one quiz file; problems go to errors."""
    ch = Checker(errors, rel)
    try:
        node = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506  (a SafeLoader subclass)  # nosec B506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        errors.add(rel, line + 1 if line is not None else None, "", f"not valid YAML: {exc}")
        return None
    if not ch.keys(node, "", QUIZ_KEYS, {"title", "pass_mark"}):
        return None
    title = ch.text(node, "title", "title")
    pass_mark = ch.integer(node, "pass_mark", "pass_mark", 70, 0, 100)
    settings = _parse_settings(ch, node)
    settings["pools"], pool_lines = _parse_pools(ch, node)
    questions = node.get("questions", [])
    if not isinstance(questions, list):
        ch.error(node, "questions", "questions", "must be a list")
        questions = []
    specs = [
        s
        for i, node_q in enumerate(questions)
        if (s := _parse_question(ch, node_q, f"questions[{i}]")) is not None
    ]
    if not specs and not settings["pools"]:
        ch.error(node, None, "questions", "a quiz needs questions or pools")
    return QuizSpec(key, rel, title, pass_mark, settings, specs, pool_lines)


def _module_dirs(course_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in course_dir.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "module.yaml").exists()
    )


class QuizzesPart:
    """CoursePart for quiz files (see courses/README.md, "Quizzes")."""

    name = "quizzes"

    def parse(self, course_dir: Path, rel: Path, errors: ImportErrors) -> ParsedQuizzes:
        result = ParsedQuizzes()
        for module_dir in _module_dirs(course_dir):
            path = module_dir / QUIZ_FILE
            if path.exists():
                spec = parse_quiz_file(path, str(rel / module_dir.name / QUIZ_FILE), module_dir.name, errors)
                if spec:
                    result.quizzes.append(spec)
        if (course_dir / FINAL_FILE).exists():
            spec = parse_quiz_file(course_dir / FINAL_FILE, str(rel / FINAL_FILE), FINAL_KEY, errors)
            if spec:
                result.quizzes.append(spec)
        self._check_bank(result, errors)
        return result

    @staticmethod
    def _check_bank(result: ParsedQuizzes, errors: ImportErrors) -> None:
        seen: dict[str, str] = {}
        tag_counts: dict[str, int] = {}
        for spec in result.quizzes:
            for i, q in enumerate(spec.questions):
                if q.key and q.key in seen:
                    errors.add(
                        spec.file,
                        None,
                        f"questions[{i}].id",
                        f"id {q.key!r} is already used in {seen[q.key]}",
                    )
                seen[q.key] = spec.file
                for tag in set(q.tags):
                    tag_counts[tag] = tag_counts.get(tag, 0) + 1
        for spec in result.quizzes:
            for i, pool in enumerate(spec.settings["pools"]):
                have = tag_counts.get(pool["tag"], 0)
                if have < pool["draw"]:
                    errors.add(
                        spec.file,
                        spec.pool_lines[i] if i < len(spec.pool_lines) else None,
                        f"pools[{i}].draw",
                        f"tag {pool['tag']!r} has {have} questions in the course, fewer than draw {pool['draw']}",
                    )

    @staticmethod
    def fingerprint(parsed: ParsedQuizzes) -> list[dict[str, Any]]:
        """Normalised content of the quiz files (defaults filled, no paths or lines)."""
        return [
            {
                "key": spec.key,
                "title": spec.title,
                "pass_mark": spec.pass_mark,
                "settings": {
                    **spec.settings,
                    "closes_at": spec.settings["closes_at"].isoformat()
                    if spec.settings["closes_at"] is not None
                    else None,
                },
                "questions": [asdict(q) for q in spec.questions],
            }
            for spec in sorted(parsed.quizzes, key=lambda s: s.key)
        ]

    def load(
        self, session: Session, course: Course, parsed: ParsedQuizzes, modules: dict[str, Module]
    ) -> list[str]:
        notes: list[str] = []
        quizzes = {q.key: q for q in session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
        questions = {
            q.key: q for q in session.scalars(select(Question).where(Question.course_id == course.id))
        }
        for spec in parsed.quizzes:
            module = modules.get(spec.key) if spec.key != FINAL_KEY else None
            quiz = _load_quiz(session, course, quizzes.get(spec.key), spec, module, notes)
            for position, qs in enumerate(spec.questions):
                _load_question(session, course, quiz, questions.get(qs.key), qs, position, notes)
        _retire(quizzes, {spec.key for spec in parsed.quizzes}, "quiz", notes)
        seen = {qs.key for spec in parsed.quizzes for qs in spec.questions}
        _retire(questions, seen, "question", notes)
        session.flush()
        return notes

    def export(self, session: Session, course: Course, course_dir: Path) -> None:
        quizzes = session.scalars(
            select(Quiz).where(Quiz.course_id == course.id, Quiz.active.is_(True))
        ).all()
        for quiz in quizzes:
            path = (
                course_dir / FINAL_FILE
                if quiz.key == FINAL_KEY
                else child_path(course_dir, quiz.key) / QUIZ_FILE
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_quiz(session, quiz), encoding="utf-8")


def _load_quiz(
    session: Session,
    course: Course,
    quiz: Quiz | None,
    spec: QuizSpec,
    module: Module | None,
    notes: list[str],
) -> Quiz:
    if quiz is None:
        quiz = Quiz(course_id=course.id, key=spec.key)
        session.add(quiz)
        notes.append(f"quiz {spec.key}: added")
    values = {
        "module_id": module.id if module is not None else None,
        "title": spec.title,
        "pass_mark": spec.pass_mark,
        "active": True,
        **spec.settings,
    }
    if quiz.id is not None and any(getattr(quiz, k) != v for k, v in values.items()):
        notes.append(f"quiz {spec.key}: settings changed")
    for k, v in values.items():
        setattr(quiz, k, v)
    session.flush()
    return quiz


def _load_question(
    session: Session,
    course: Course,
    quiz: Quiz,
    question: Question | None,
    qs: QuestionSpec,
    position: int,
    notes: list[str],
) -> None:
    if question is None:
        question = Question(course_id=course.id, key=qs.key)
        session.add(question)
        notes.append(f"question {qs.key}: added")
    new = {
        "quiz_id": quiz.id,
        "position": position,
        "kind": qs.kind,
        "points": qs.points,
        "tags": qs.tags,
        "prompt": qs.prompt,
        "prompt_html": render_text(qs.prompt),
        "explanation": qs.explanation,
        "explanation_html": render_text(qs.explanation),
        "data": kinds.get(qs.kind).render(qs.data),
        "active": True,
    }
    if question.id is not None and any(
        getattr(question, k) != new[k] for k in ("kind", "points", "tags", "prompt", "explanation", "data")
    ):
        notes.append(f"question {qs.key}: changed")
    for k, v in new.items():
        setattr(question, k, v)


def _retire(rows: Mapping[str, Quiz | Question], seen: set[str], what: str, notes: list[str]) -> None:
    """Deactivate what the files no longer have (kept for attempts and statistics)."""
    for key, row in rows.items():
        if key not in seen and row.active:
            row.active = False
            notes.append(f"{what} {key}: removed")


def _question_source(q: Question) -> dict[str, Any]:
    node: dict[str, Any] = {"id": q.key, "kind": q.kind}
    if q.tags:
        node["tags"] = list(q.tags)
    if q.points != 1:
        node["points"] = int(q.points) if float(q.points).is_integer() else q.points
    node["prompt"] = q.prompt
    node["explanation"] = q.explanation
    node.update(kinds.get(q.kind).source(q.data))
    return node


def dump_quiz(session: Session, quiz: Quiz) -> str:
    """The YAML text of one quiz file."""
    node: dict[str, Any] = {"title": quiz.title, "pass_mark": quiz.pass_mark}
    for key, default in QUIZ_DEFAULTS.items():
        value = getattr(quiz, key)
        if key == "closes_at" and value is not None:
            value = value.astimezone(dt.UTC).isoformat()
        if value != default:
            node[key] = value
    questions = session.scalars(
        select(Question)
        .where(Question.quiz_id == quiz.id, Question.active.is_(True))
        .order_by(Question.position)
    ).all()
    if questions:
        node["questions"] = [_question_source(q) for q in questions]
    return yaml.safe_dump(node, allow_unicode=True, sort_keys=False, width=100)
