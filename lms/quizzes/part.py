"""The "quizzes" course part: quiz.yaml in module folders, final_exam.yaml in the course folder.

``parse`` validates without the database, ``load`` upserts quizzes and
questions by key inside the importer's transaction, ``export`` writes the files
back so that parse(export(load(parse(x)))) == parse(x).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.exporter import child_path
from lms.catalog.models import Course, Module
from lms.catalog.parts import ImportErrors
from lms.core.html import render_markdown
from lms.core.text import nfc
from lms.quizzes.grading import KINDS
from lms.quizzes.models import Question, Quiz, Review

QUIZ_FILE = "quiz.yaml"
FINAL_FILE = "final_exam.yaml"
FINAL_KEY = "final"
ID_RE = re.compile(r"^[a-z0-9-]+$")

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
KIND_KEYS = {
    "single": {"options"},
    "multiple": {"options", "scoring"},
    "true_false": {"answer", "feedback_true", "feedback_false"},
    "short_text": {"answers", "ignore_diacritics", "case_sensitive"},
    "matching": {"pairs"},
    "ordering": {"items"},
}


class _LineDict(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[str(key)] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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


class _Checker:
    def __init__(self, errors: ImportErrors, file: str) -> None:
        self.errors = errors
        self.file = file
        self.ok = True

    def error(self, node: Any, key: str | None, path: str, message: str) -> None:
        line = None
        if isinstance(node, _LineDict):
            line = node.lines.get(key, node.line) if key else node.line
        self.errors.add(self.file, line, path, message)
        self.ok = False

    def keys(self, node: Any, path: str, allowed: set[str], required: set[str]) -> bool:
        if not isinstance(node, dict):
            self.error(node, None, path, "must be a mapping")
            return False
        for key in node:
            if key not in allowed:
                self.error(node, str(key), f"{path}.{key}" if path else str(key), "unknown key")
        for key in sorted(required - set(node)):
            self.error(node, None, f"{path}.{key}" if path else key, "missing key")
        return True

    def text(self, node: dict, key: str, path: str, *, required: bool = True) -> str:
        value = node.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(node, key, path, "must be non-empty text")
            return ""
        return nfc(value.strip())

    def boolean(self, node: dict, key: str, path: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.error(node, key, path, "must be true or false")
            return default
        return value

    def integer(self, node: dict, key: str, path: str, default: int, lo: int, hi: int | None = None) -> int:
        value = node.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < lo
            or (hi is not None and value > hi)
        ):
            bound = f"{lo}–{hi}" if hi is not None else f">= {lo}"
            self.error(node, key, path, f"must be an integer {bound}")
            return default
        return value


def _parse_question(ch: _Checker, node: Any, path: str) -> QuestionSpec | None:
    if not isinstance(node, dict):
        ch.error(node, None, path, "must be a mapping")
        return None
    kind = node.get("kind")
    if kind not in KINDS:
        ch.error(node, "kind", f"{path}.kind", f"must be one of {', '.join(KINDS)}")
        return None
    ch.keys(node, path, COMMON_KEYS | KIND_KEYS[kind], {"id", "kind", "prompt", "explanation"})
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
    data: dict[str, Any] = {}
    if kind in ("single", "multiple"):
        options = node.get("options")
        if not isinstance(options, list) or len(options) < 2:
            ch.error(node, "options", f"{path}.options", "must list at least 2 options")
            options = []
        parsed = []
        for i, opt in enumerate(options):
            opath = f"{path}.options[{i}]"
            if not ch.keys(opt, opath, {"text", "correct", "feedback"}, {"text"}):
                continue
            parsed.append(
                {
                    "text": ch.text(opt, "text", f"{opath}.text"),
                    "correct": ch.boolean(opt, "correct", f"{opath}.correct", False),
                    "feedback": ch.text(opt, "feedback", f"{opath}.feedback", required=False),
                }
            )
        n_correct = sum(bool(o["correct"]) for o in parsed)
        if options and kind == "single" and n_correct != 1:
            ch.error(
                node,
                "options",
                f"{path}.options",
                "a single-choice question needs exactly one correct option",
            )
        if options and kind == "multiple" and n_correct < 1:
            ch.error(node, "options", f"{path}.options", "needs at least one correct option")
        data["options"] = parsed
        if kind == "multiple":
            scoring = node.get("scoring", "partial")
            if scoring not in ("partial", "all_or_nothing"):
                ch.error(node, "scoring", f"{path}.scoring", "must be partial or all_or_nothing")
            data["scoring"] = scoring
    elif kind == "true_false":
        answer = node.get("answer")
        if not isinstance(answer, bool):
            ch.error(node, "answer", f"{path}.answer", "must be true or false")
        data["answer"] = bool(answer)
        data["feedback_true"] = ch.text(node, "feedback_true", f"{path}.feedback_true", required=False)
        data["feedback_false"] = ch.text(node, "feedback_false", f"{path}.feedback_false", required=False)
    elif kind == "short_text":
        answers = node.get("answers")
        if (
            not isinstance(answers, list)
            or not answers
            or not all(isinstance(a, str) and a.strip() for a in answers)
        ):
            ch.error(node, "answers", f"{path}.answers", "must list at least one accepted answer")
            answers = []
        data["answers"] = [nfc(str(a).strip()) for a in answers]
        data["ignore_diacritics"] = ch.boolean(node, "ignore_diacritics", f"{path}.ignore_diacritics", True)
        data["case_sensitive"] = ch.boolean(node, "case_sensitive", f"{path}.case_sensitive", False)
    elif kind == "matching":
        pairs = node.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            ch.error(node, "pairs", f"{path}.pairs", "must list at least 2 pairs")
            pairs = []
        parsed = []
        for i, pair in enumerate(pairs):
            ppath = f"{path}.pairs[{i}]"
            if ch.keys(pair, ppath, {"left", "right"}, {"left", "right"}):
                parsed.append(
                    {
                        "left": ch.text(pair, "left", f"{ppath}.left"),
                        "right": ch.text(pair, "right", f"{ppath}.right"),
                    }
                )
        if len({p["right"] for p in parsed}) != len(parsed):
            ch.error(node, "pairs", f"{path}.pairs", "right sides must be different from each other")
        data["pairs"] = parsed
    elif kind == "ordering":
        items = node.get("items")
        if (
            not isinstance(items, list)
            or len(items) < 3
            or not all(isinstance(i, str) and i.strip() for i in items)
        ):
            ch.error(node, "items", f"{path}.items", "must list at least 3 items (text) in the correct order")
            items = []
        data["items"] = [nfc(str(i).strip()) for i in items]
    return QuestionSpec(key, kind, list(tags), float(points), prompt, explanation, data)


def parse_quiz_file(path: Path, rel: str, key: str, errors: ImportErrors) -> QuizSpec | None:
    """Parse one quiz file; problems go to errors."""
    ch = _Checker(errors, rel)
    try:
        node = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506  (SafeLoader subclass)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        errors.add(rel, line + 1 if line is not None else None, "", f"not valid YAML: {exc}")
        return None
    if not ch.keys(node, "", QUIZ_KEYS, {"title", "pass_mark"}):
        return None
    settings: dict[str, Any] = {}
    title = ch.text(node, "title", "title")
    pass_mark = ch.integer(node, "pass_mark", "pass_mark", 70, 0, 100)
    settings["max_attempts"] = ch.integer(node, "max_attempts", "max_attempts", 0, 0)
    settings["time_limit_minutes"] = ch.integer(
        node, "time_limit_minutes", "time_limit_minutes", 0, 0, 24 * 60
    )
    settings["questions_per_page"] = ch.integer(node, "questions_per_page", "questions_per_page", 0, 0)
    for flag in ("shuffle_questions", "shuffle_options", "required"):
        settings[flag] = ch.boolean(node, flag, flag, QUIZ_DEFAULTS[flag])
    review = node.get("review", Review.AFTER_SUBMIT.value)
    if review not in {r.value for r in Review}:
        ch.error(node, "review", "review", "must be after_submit, after_close or never")
    settings["review"] = review
    closes_at = node.get("closes_at")
    if closes_at is not None:
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
            closes_at = None
        else:
            closes_at = closes_at.astimezone(dt.UTC)
    settings["closes_at"] = closes_at
    pools = node.get("pools", [])
    parsed_pools = []
    pool_lines: list[int | None] = []
    if not isinstance(pools, list):
        ch.error(node, "pools", "pools", "must be a list")
        pools = []
    for i, pool in enumerate(pools):
        ppath = f"pools[{i}]"
        if not ch.keys(pool, ppath, {"tag", "draw"}, {"tag", "draw"}):
            continue
        tag = pool.get("tag")
        if not isinstance(tag, str) or not ID_RE.match(tag):
            ch.error(pool, "tag", f"{ppath}.tag", "must match [a-z0-9-]+")
        parsed_pools.append({"tag": tag, "draw": ch.integer(pool, "draw", f"{ppath}.draw", 1, 1)})
        pool_lines.append(getattr(pool, "line", None))
    settings["pools"] = parsed_pools
    questions = node.get("questions", [])
    if not isinstance(questions, list):
        ch.error(node, "questions", "questions", "must be a list")
        questions = []
    specs = [
        s
        for i, node_q in enumerate(questions)
        if (s := _parse_question(ch, node_q, f"questions[{i}]")) is not None
    ]
    if not specs and not parsed_pools:
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
        seen_quizzes: set[str] = set()
        seen_questions: set[str] = set()
        for spec in parsed.quizzes:
            quiz = quizzes.get(spec.key)
            if quiz is None:
                quiz = Quiz(course_id=course.id, key=spec.key)
                session.add(quiz)
                notes.append(f"quiz {spec.key}: added")
            module = modules.get(spec.key) if spec.key != FINAL_KEY else None
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
            seen_quizzes.add(spec.key)
            for position, qs in enumerate(spec.questions):
                question = questions.get(qs.key)
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
                    "data": render_data(qs.kind, qs.data),
                    "active": True,
                }
                if question.id is not None and any(
                    getattr(question, k) != new[k]
                    for k in ("kind", "points", "tags", "prompt", "explanation", "data")
                ):
                    notes.append(f"question {qs.key}: changed")
                for k, v in new.items():
                    setattr(question, k, v)
                seen_questions.add(qs.key)
        for key, quiz in quizzes.items():
            if key not in seen_quizzes and quiz.active:
                quiz.active = False
                notes.append(f"quiz {key}: removed")
        for key, question in questions.items():
            if key not in seen_questions and question.active:
                question.active = False
                notes.append(f"question {key}: removed")
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


def _absolute_only(url: str) -> str | None:
    """Quiz text may link to the web; relative links and images are not served for quizzes."""
    return url if url.startswith(("https://", "http://", "mailto:")) else None


def render_text(text: str, *, inline: bool = False) -> str:
    """Markdown → sanitised HTML for quiz text (lms.core.html does the sanitising)."""
    return render_markdown(text, inline=inline, rewrite_url=_absolute_only) if text else ""


def render_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Add sanitised HTML beside the Markdown source of every displayable text."""
    out = dict(data)

    def inline(text: str) -> str:
        return render_text(text, inline=True)

    if kind in ("single", "multiple"):
        out["options"] = [
            {**o, "html": inline(o["text"]), "feedback_html": inline(o["feedback"])} for o in data["options"]
        ]
    elif kind == "true_false":
        out["feedback_true_html"] = inline(data["feedback_true"])
        out["feedback_false_html"] = inline(data["feedback_false"])
    elif kind == "matching":
        out["pairs"] = [
            {**p, "left_html": inline(p["left"]), "right_html": inline(p["right"])} for p in data["pairs"]
        ]
    elif kind == "ordering":
        out["items_html"] = [inline(i) for i in data["items"]]
    elif kind == "short_text":
        out["answers"] = list(data["answers"])
    return out


def _question_source(q: Question) -> dict[str, Any]:
    node: dict[str, Any] = {"id": q.key, "kind": q.kind}
    if q.tags:
        node["tags"] = list(q.tags)
    if q.points != 1:
        node["points"] = int(q.points) if float(q.points).is_integer() else q.points
    node["prompt"] = q.prompt
    node["explanation"] = q.explanation
    d = q.data
    if q.kind in ("single", "multiple"):
        options = []
        for o in d["options"]:
            opt: dict[str, Any] = {"text": o["text"]}
            if o["correct"]:
                opt["correct"] = True
            if o["feedback"]:
                opt["feedback"] = o["feedback"]
            options.append(opt)
        node["options"] = options
        if q.kind == "multiple" and d.get("scoring", "partial") != "partial":
            node["scoring"] = d["scoring"]
    elif q.kind == "true_false":
        node["answer"] = d["answer"]
        for k in ("feedback_true", "feedback_false"):
            if d.get(k):
                node[k] = d[k]
    elif q.kind == "short_text":
        node["answers"] = list(d["answers"])
        if not d.get("ignore_diacritics", True):
            node["ignore_diacritics"] = False
        if d.get("case_sensitive", False):
            node["case_sensitive"] = True
    elif q.kind == "matching":
        node["pairs"] = [{"left": p["left"], "right": p["right"]} for p in d["pairs"]]
    elif q.kind == "ordering":
        node["items"] = list(d["items"])
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
