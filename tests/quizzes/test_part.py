"""The quizzes CoursePart: parse + validate, load by key, re-import, lossless export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalog.parts import ImportErrors, registered_parts
from lms.quizzes.attempts import start_attempt
from lms.quizzes.models import Question, Quiz
from lms.quizzes.part import QuizzesPart
from tests.quizzes.helpers import (
    FIXTURES,
    course_from_folder,
    import_quizzes,
    load_fixture_course,
    quiz_by_key,
)


def parse(folder: Path) -> tuple[object, ImportErrors]:
    errors = ImportErrors()
    return QuizzesPart().parse(folder, Path(folder.name), errors), errors


def test_part_is_registered(app):
    assert "quizzes" in [p.name for p in registered_parts()]


def test_fixture_parses_cleanly():
    parsed, errors = parse(FIXTURES / "kiem-thu")
    assert not errors, errors.problems
    keys = [q.key for q in parsed.quizzes]
    assert keys == ["01-tong-quan", "02-phap-ly", "final"]
    kinds = {q.kind for q in parsed.quizzes[0].questions}
    assert kinds == {"single", "multiple", "true_false", "short_text", "matching", "ordering"}


def write_quiz(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "khoa"
    (folder / "01-a").mkdir(parents=True)
    (folder / "01-a" / "module.yaml").write_text("title: A\norder: 1\n")
    (folder / "01-a" / "quiz.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("title: T\npass_mark: 150\nquestions: []\n", "pass_mark", 2),
        ("title: T\npass_mark: 50\ncolour: red\nquestions: []\n", "colour", 3),
        (
            "title: T\npass_mark: 50\nquestions:\n  - id: a\n    kind: single\n    prompt: P\n    explanation: E\n"
            "    options:\n      - text: x\n      - text: y\n",
            "questions[0].options",
            8,
        ),
        (
            "title: T\npass_mark: 50\nquestions:\n  - id: a\n    kind: short_text\n    prompt: P\n    answers: [x]\n",
            "questions[0].explanation",
            4,
        ),
        ("title: T\npass_mark: 50\npools:\n  - tag: none\n    draw: 2\n", "pools[0].draw", 4),
        (
            "title: T\npass_mark: 50\nquestions:\n  - id: a\n    kind: ordering\n    prompt: P\n    explanation: E\n"
            "    items: [x, y]\n",
            "questions[0].items",
            8,
        ),
        ("title: T\npass_mark: 50\nquestions:\n  - id: a\n    kind: essay\n", "questions[0].kind", 5),
    ],
)
def test_validation_names_file_line_and_field(tmp_path, text, field, line):
    _, errors = parse(write_quiz(tmp_path, text))
    problems = {(p.field, p.line) for p in errors.problems}
    assert (field, line) in problems, errors.problems
    assert all(p.file == "khoa/01-a/quiz.yaml" for p in errors.problems)


def test_duplicate_question_ids_across_files(tmp_path):
    folder = tmp_path / "kiem-thu"
    shutil.copytree(FIXTURES / "kiem-thu", folder)
    text = (folder / "01-tong-quan" / "quiz.yaml").read_text(encoding="utf-8")
    (folder / "02-phap-ly" / "quiz.yaml").write_text(text, encoding="utf-8")
    _, errors = parse(folder)
    assert any("already used" in p.message for p in errors.problems)


def test_load_creates_quizzes_and_questions(session):
    course = load_fixture_course(session)
    final = quiz_by_key(session, course, "final")
    assert final.module_id is None
    assert final.is_final
    assert final.pools == [{"tag": "khai-niem", "draw": 2}, {"tag": "phap-ly", "draw": 2}]
    m1 = quiz_by_key(session, course, "01-tong-quan")
    assert m1.module.key == "01-tong-quan"
    assert [q.key for q in m1.questions] == ["hash-1", "cks-multi", "tf-1", "short-1", "match-1", "order-1"]
    hash1 = m1.questions[0]
    assert "<strong>ký số</strong>" in hash1.prompt_html
    assert hash1.data["options"][0]["correct"] is True


def test_reimport_updates_in_place_and_keeps_attempt_snapshot(session, make_user, tmp_path):
    folder = tmp_path / "kiem-thu"
    shutil.copytree(FIXTURES / "kiem-thu", folder)
    course, modules = course_from_folder(session, folder)
    import_quizzes(session, course, folder, modules)
    m1 = quiz_by_key(session, course, "01-tong-quan")
    q_ids = {q.key: q.id for q in m1.questions}
    attempt = start_attempt(session, m1, make_user())
    old_entry = next(e for e in attempt.entries if e.key == "hash-1")

    path = folder / "01-tong-quan" / "quiz.yaml"
    text = path.read_text(encoding="utf-8").replace("Hàm băm dùng để làm gì", "Hàm băm (hash) dùng để làm gì")
    text = text.replace(
        "        correct: true\n        feedback: PHANHOIDUNG1", "        feedback: PHANHOIDUNG1"
    )
    text = text.replace(
        "      - text: Nén văn bản cho nhỏ", "      - text: Nén văn bản cho nhỏ\n        correct: true"
    )
    path.write_text(text, encoding="utf-8")
    notes = import_quizzes(session, course, folder)
    assert "question hash-1: changed" in notes
    session.expire_all()
    m1 = quiz_by_key(session, course, "01-tong-quan")
    assert {q.key: q.id for q in m1.questions} == q_ids  # updated in place
    assert "(hash)" in m1.questions[0].prompt
    session.refresh(attempt)
    entry = next(e for e in attempt.entries if e.key == "hash-1")
    assert entry == old_entry  # the attempt in progress is untouched
    assert entry.data["options"][0]["correct"] is True


def test_removed_question_is_retired_not_deleted(session, tmp_path):
    folder = tmp_path / "kiem-thu"
    shutil.copytree(FIXTURES / "kiem-thu", folder)
    course, modules = course_from_folder(session, folder)
    import_quizzes(session, course, folder, modules)
    path = folder / "02-phap-ly" / "quiz.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  - id: law-2")], encoding="utf-8")
    notes = import_quizzes(session, course, folder)
    assert "question law-2: removed" in notes
    law2 = session.scalars(
        select(Question).where(Question.key == "law-2", Question.course_id == course.id)
    ).one()
    assert law2.active is False


def test_export_round_trips(session, tmp_path):
    course = load_fixture_course(session)
    out = tmp_path / "kiem-thu"
    out.mkdir()
    for sub in ("01-tong-quan", "02-phap-ly"):
        (out / sub).mkdir()
        shutil.copy(FIXTURES / "kiem-thu" / sub / "module.yaml", out / sub / "module.yaml")
    QuizzesPart().export(session, course, out)
    original, _ = parse(FIXTURES / "kiem-thu")
    exported, errors = parse(out)
    assert not errors, errors.problems
    assert exported == original
    # and loading the export changes nothing
    assert import_quizzes(session, course, out) == []


def test_quiz_count_per_course(session):
    course = load_fixture_course(session)
    assert session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.key == "final")) is not None


REAL_COURSES = sorted(
    p.parent for p in (Path(__file__).resolve().parents[2] / "courses").glob("**/course.yaml")
)


@pytest.mark.parametrize("folder", REAL_COURSES, ids=lambda p: p.name)
def test_real_courses_parse_load_and_export_losslessly(session, tmp_path, folder):
    original, errors = parse(folder)
    assert not errors, errors.problems
    course, modules = course_from_folder(session, folder, slug=f"real-{folder.name}")
    import_quizzes(session, course, folder, modules)
    out = tmp_path / folder.name
    for sub in modules:
        (out / sub).mkdir(parents=True)
        shutil.copy(folder / sub / "module.yaml", out / sub / "module.yaml")
    QuizzesPart().export(session, course, out)
    exported, errors = parse(out)
    assert not errors, errors.problems
    assert exported == original


def test_closes_at_is_read_as_an_aware_time(tmp_path):
    import datetime as dt

    text = (
        "title: T\npass_mark: 50\ncloses_at: 2026-12-31T17:00:00+07:00\nquestions:\n"
        "  - id: a\n    kind: true_false\n    prompt: P\n    explanation: E\n    answer: true\n"
    )
    parsed, errors = parse(write_quiz(tmp_path, text))
    assert not errors, errors.problems
    assert parsed.quizzes[0].settings["closes_at"] == dt.datetime(2026, 12, 31, 10, 0, tzinfo=dt.UTC)
    naive = text.replace("+07:00", "")
    _, errors = parse(write_quiz(tmp_path / "x", naive))
    assert [p.field for p in errors.problems] == ["closes_at"]


def test_quiz_text_is_sanitised_at_import(session, tmp_path):
    text = (
        "title: T\npass_mark: 50\nquestions:\n  - id: a\n    kind: single\n"
        "    prompt: '<script>alert(1)</script> **đậm** [x](javascript:alert(1)) ![i](anh.png)'\n"
        "    explanation: '[Luật](https://thuvienphapluat.vn/) [mô-đun](../02/bai.md)'\n"
        "    options:\n      - text: '<img src=x onerror=alert(1)>'\n        correct: true\n      - text: B\n"
    )
    folder = write_quiz(tmp_path, text)
    course, modules = course_from_folder(session, FIXTURES / "kiem-thu", slug="sanitise")
    import_quizzes(session, course, folder, {"01-a": next(iter(modules.values()))})
    q = session.scalars(select(Question).where(Question.course_id == course.id)).one()
    assert "<script" not in q.prompt_html
    assert "<strong>đậm</strong>" in q.prompt_html
    assert 'href="javascript' not in q.prompt_html  # left as plain text
    assert "anh.png" not in q.prompt_html
    assert 'href="https://thuvienphapluat.vn/"' in q.explanation_html
    assert "bai.md" not in q.explanation_html
    assert "<img" not in q.data["options"][0]["html"]
