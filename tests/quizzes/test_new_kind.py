"""A seventh kind is one file and one partial: a toy "number" kind, registered only in this test,
goes through the question editor, the trial, publishing (parse and load), the take page, autosave,
grading, the review, the statistics and the export, with no other code knowing about it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import select
from wtforms import DecimalField
from wtforms.validators import InputRequired, NumberRange, Optional

from lms.authoring import bank, services
from lms.authoring.models import DraftQuestion
from lms.catalog.parts import ImportErrors
from lms.quizzes import kinds
from lms.quizzes.kinds import Getlist, KindStats, QuestionKind
from lms.quizzes.kinds.base import first_value
from lms.quizzes.models import Answer, Attempt, Question, Quiz, SnapshotEntry
from lms.quizzes.part import dump_quiz, parse_quiz_file
from lms.quizzes.source import Checker
from tests.quizzes.conftest import study_course

PARTIAL_DIR = Path(__file__).parent / "toy_kind"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


class NumberKind(QuestionKind):
    """The learner types a number; right when within the tolerance of the key."""

    name = "number"
    label = "Number"
    template = "toy_number.html"
    source_keys = frozenset({"answer", "tolerance"})
    defaults = {"tolerance": 0}

    def parse(self, ch: Checker, node: dict[str, Any], path: str) -> dict[str, Any]:
        answer, tolerance = node.get("answer"), node.get("tolerance", 0)
        if not _is_number(answer):
            ch.error(node, "answer", f"{path}.answer", "must be a number")
            answer = 0
        if not _is_number(tolerance) or tolerance < 0:
            ch.error(node, "tolerance", f"{path}.tolerance", "must be a number >= 0")
            tolerance = 0
        return {"answer": answer, "tolerance": tolerance}

    def source(self, data: dict[str, Any]) -> dict[str, Any]:
        node = {"answer": data["answer"]}
        if data["tolerance"]:
            node["tolerance"] = data["tolerance"]
        return node

    def from_fields(self, entry: SnapshotEntry, getlist: Getlist) -> Any:
        value = first_value(getlist, entry.field_name())
        return None if value is None else float(value.strip().replace(",", "."))  # ValueError: bad answer

    def clean(self, data: dict[str, Any], response: Any) -> Any:
        if response is not None and not _is_number(response):
            raise ValueError("number expected")
        return response

    def fraction(self, data: dict[str, Any], response: Any) -> float:
        right = response is not None and abs(response - data["answer"]) <= data["tolerance"] + 1e-9
        return 1.0 if right else 0.0

    def public(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"value": "" if response is None else f"{response:g}"}

    def answer_key(self, entry: SnapshotEntry, response: Any) -> dict[str, Any]:
        return {"answer": entry.data["answer"], "tolerance": entry.data["tolerance"]}

    def stats(self, data: dict[str, Any], responses: list[Any]) -> KindStats:
        right = sum(1 for r in responses if self.fraction(data, r) == 1.0)
        return KindStats(
            choices=[(f"{data['answer']:g}", right, True), ("other", len(responses) - right, False)]
        )

    def form_fields(self) -> dict[str, Any]:
        return {
            "answer": DecimalField("Correct number", validators=[InputRequired()]),
            "tolerance": DecimalField("Tolerance", default=0, validators=[Optional(), NumberRange(min=0)]),
        }

    def from_form(self, form: Any) -> dict[str, Any]:
        return {"answer": _plain(form.answer.data), "tolerance": _plain(form.tolerance.data or 0)}

    def to_form(self, form: Any, data: dict[str, Any]) -> None:
        form.answer.data = data.get("answer")
        form.tolerance.data = data.get("tolerance", 0)


@pytest.fixture
def number_kind(app: Flask) -> Iterator[QuestionKind]:
    """The toy kind and its partial, for this test only."""
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([loader, FileSystemLoader(PARTIAL_DIR)])  # type: ignore[list-item]
    try:
        with kinds.registered(NumberKind()) as kind:
            yield kind
    finally:
        app.jinja_env.loader = loader


QUESTION = {"prompt": "Số π, làm tròn?", "explanation": "π ≈ 3,14.", "points": "2", "tags": ""}


def _quiz_file(tmp_path: Path, question: dict[str, Any]) -> Path:
    path = tmp_path / "quiz.yaml"
    path.write_text(
        yaml.safe_dump({"title": "T", "pass_mark": 50, "questions": [question]}), encoding="utf-8"
    )
    return path


def test_a_kind_is_known_only_while_registered(tmp_path: Path, app: Flask) -> None:
    path = _quiz_file(
        tmp_path, {"id": "pi", "kind": "number", "prompt": "π?", "explanation": ".", "answer": 3.14}
    )
    errors = ImportErrors()
    parse_quiz_file(path, "quiz.yaml", "m", errors)
    assert (
        errors.problems[0].message
        == "must be one of single, multiple, true_false, short_text, matching, ordering"
    )
    with kinds.registered(NumberKind()):
        errors = ImportErrors()
        spec = parse_quiz_file(path, "quiz.yaml", "m", errors)
        assert not errors.problems
        assert spec is not None
        assert spec.questions[0].data == {"answer": 3.14, "tolerance": 0}
        errors = ImportErrors()
        parse_quiz_file(_quiz_file(tmp_path, {"id": "pi", "kind": "number", "prompt": "π?",
                                              "explanation": ".", "answer": "ba"}), "quiz.yaml", "m", errors)  # fmt: skip
        assert [(p.field, p.message) for p in errors.problems] == [
            ("questions[0].answer", "must be a number")
        ]
    with pytest.raises(kinds.UnknownKindError):
        kinds.get("number")


def test_a_toy_kind_goes_from_the_editor_to_the_statistics(
    session: Any, make_user: Any, login_as: Any, number_kind: QuestionKind
) -> None:
    # --- a trainer writes a course with a quiz holding one question of the new kind
    author = make_user("trainer")
    course = services.create_course(session, slug="so-pi", title="Số π", topic="other", by=author)
    draft = services.get_draft(session, course)
    draft.summary = "Một khoá nhỏ."
    module = services.add_module(session, draft, "Tổng quan", by=author)
    lesson = services.add_lesson(session, module, "Bài 1", by=author)
    services.save_lesson(session, lesson, title="Bài 1", estimated_minutes=5, required=True,
                         body_markdown="Nội dung.", expected_version=lesson.lock_version, by=author)  # fmt: skip
    draft_quiz = bank.add_quiz(session, draft, module, by=author)
    client = login_as(author)
    new_url = f"/authoring/{course.id}/quizzes/{draft_quiz.id}/questions/new?kind=number"
    page = client.get(new_url).get_data(as_text=True)
    assert "Correct number" in page
    assert "Tolerance" in page
    refused = client.post(new_url, data={**QUESTION, "answer": "", "tolerance": "0"})
    assert refused.status_code == 400  # the kind's own form field is required
    saved = client.post(new_url, data={**QUESTION, "answer": "3.14", "tolerance": "0.01"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    question = session.scalars(select(DraftQuestion).where(DraftQuestion.quiz_id == draft_quiz.id)).one()
    assert question.data["kind"] == "number"
    assert (question.data["answer"], question.data["tolerance"]) == (3.14, 0.01)
    edit = client.get(f"/authoring/{course.id}/questions/{question.id}").get_data(as_text=True)
    assert 'value="3.14"' in edit  # to_form fills the kind's fields

    # --- trying the draft quiz renders the kind's partial and grades with its grader
    try_url = f"/authoring/{course.id}/quizzes/{draft_quiz.id}/try"
    trial = client.get(try_url).get_data(as_text=True)
    assert 'data-toy-kind="number"' in trial
    seed = re.search(r'name="seed" value="(\d+)"', trial).group(1)  # type: ignore[union-attr]
    result = client.post(try_url, data={"seed": seed, f"q{question.id}": "3,141"}).get_data(as_text=True)
    assert "Correct number: 3.14 ± 0.01" in result
    assert "100,0\u00a0%" in result  # Vietnamese percent form

    # --- publishing parses and loads it through the importer
    assert client.post(f"/authoring/{course.id}/publish", data={"note": ""}).status_code == 302
    quiz = session.scalars(select(Quiz).where(Quiz.course_id == course.id)).one()
    loaded = session.scalars(select(Question).where(Question.quiz_id == quiz.id)).one()
    assert loaded.kind == "number"
    assert loaded.data == {"answer": 3.14, "tolerance": 0.01}

    # --- a learner takes it: the take page, autosave (bad and good), submit, review
    learner = make_user()
    session.refresh(course)
    study_course(session, learner, course)  # quizzes open to enrolled learners who studied (decision 1602)
    client = login_as(learner)
    started = client.post(f"/quizzes/{quiz.id}/start")
    assert started.status_code == 302
    attempt = session.scalars(select(Attempt).where(Attempt.user_id == learner.id)).one()
    take = client.get(started.location).get_data(as_text=True)
    name = f"q{loaded.id}"
    assert f'name="{name}"' in take
    assert 'data-toy-kind="number"' in take
    autosave = f"/quizzes/attempt/{attempt.id}/autosave"
    bad = client.post(autosave, json={"question": loaded.id, "seq": 1, "base": 0, "fields": {name: ["ba"]}})
    assert bad.status_code == 400
    good = client.post(
        autosave, json={"question": loaded.id, "seq": 1, "base": 0, "fields": {name: ["3,145"]}}
    )
    assert good.get_json() == {"ok": True, "seq": 1}
    answer = session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).one()
    session.refresh(answer)
    assert answer.response == 3.145
    assert 'value="3.145"' in client.get(f"/quizzes/attempt/{attempt.id}").get_data(as_text=True)
    assert client.post(f"/quizzes/attempt/{attempt.id}/submit").status_code == 302
    session.refresh(attempt)
    assert (attempt.score, attempt.max_score, attempt.passed) == (2.0, 2.0, True)
    review = client.get(f"/quizzes/attempt/{attempt.id}/result").get_data(as_text=True)
    assert "Correct number: 3.14 ± 0.01" in review

    # --- the trainer's statistics show the kind's own counts
    client = login_as(author)
    stats = client.get(f"/quizzes/{quiz.id}/stats").get_data(as_text=True)
    assert "3.14: 1 (key); other: 0;" in stats
    assert "*3.14: 1; other: 0" in client.get(f"/quizzes/{quiz.id}/stats.csv").get_data(as_text=True)

    # --- and the export writes it back in the quiz-file format
    exported = yaml.safe_load(dump_quiz(session, quiz))["questions"][0]
    assert {k: exported[k] for k in ("kind", "answer", "tolerance")} == {
        "kind": "number",
        "answer": 3.14,
        "tolerance": 0.01,
    }


@pytest.mark.parametrize("name", kinds.names())
def test_every_kind_has_its_partial_with_the_four_macros(app: Flask, name: str) -> None:
    """What the shared templates call on a kind's partial (a missing macro would fail only on one page)."""
    module = app.jinja_env.get_template(kinds.get(name).template).module
    for macro in ("question", "answer_key", "stats", "authoring"):
        assert callable(getattr(module, macro, None)), f"{name}: {macro}"
