"""Content lint for the real courses in courses/ (issue: correct and current content).

These checks read the files as an author wrote them; the importer's own strict
validation is exercised by tests/catalog and by test_real_courses_import below.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "courses"
REAL_COURSES = sorted(p.parent for p in ROOT.glob("*/course.yaml"))
ALL_COURSES = [*REAL_COURSES, *sorted(p.parent for p in ROOT.glob("_example/*/course.yaml"))]
REPLACED_LAWS = ("130/2018", "51/2005")
# A sentence may name a replaced document only to say it was replaced.
REPLACED_WORDS = ("thay thế", "hết hiệu lực", "bãi bỏ", "trước đây", "replaced")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")


def lessons(course: Path) -> list[Path]:
    return sorted(course.glob("*/[0-9]*.md"))


def quiz_files(course: Path) -> list[Path]:
    return sorted([*course.glob("*/quiz.yaml"), *course.glob("final_exam.yaml")])


def questions(course: Path) -> list[dict]:
    found = []
    for f in quiz_files(course):
        found += yaml.safe_load(f.read_text(encoding="utf-8")).get("questions") or []
    return found


def test_the_three_real_courses_are_there():
    slugs = {p.name for p in REAL_COURSES}
    assert {"chu-ky-so-cong-vu", "van-ban-dien-tu-lien-thong", "dich-vu-cong-truc-tuyen"} <= slugs


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_all_text_is_nfc_utf8(course):
    for f in course.rglob("*"):
        if f.suffix in {".md", ".yaml", ".svg"}:
            text = f.read_text(encoding="utf-8")
            assert text == unicodedata.normalize("NFC", text), f


@pytest.mark.parametrize("course", REAL_COURSES, ids=lambda p: p.name)
def test_structure_modules_lessons_quizzes(course):
    meta = yaml.safe_load((course / "course.yaml").read_text(encoding="utf-8"))
    assert meta["title_en"]
    assert meta["summary_en"]
    assert meta["estimated_hours"] > 0
    assert meta["certificate_validity_months"] > 0
    modules = sorted(p.parent for p in course.glob("*/module.yaml"))
    assert len(modules) >= 4
    for module in modules:
        assert 2 <= len(list(module.glob("[0-9]*.md"))) <= 4, module
        assert (module / "quiz.yaml").exists(), module
    final = yaml.safe_load((course / "final_exam.yaml").read_text(encoding="utf-8"))
    assert final.get("pools"), "the final exam draws from pools"


@pytest.mark.parametrize("course", REAL_COURSES, ids=lambda p: p.name)
def test_every_lesson_ends_with_references_citing_documents(course):
    for lesson in lessons(course):
        body = lesson.read_text(encoding="utf-8")
        tail = body.rsplit("## Tài liệu tham khảo", 1)
        assert len(tail) == 2, f"{lesson}: no 'Tài liệu tham khảo' section"
        assert "\n## " not in tail[1], f"{lesson}: references must be the last section"
        assert re.search(r"\d+/\d{4}/", tail[1]), f"{lesson}: cite documents by number"


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_replaced_laws_only_appear_as_replaced(course):
    for f in [*lessons(course), *quiz_files(course)]:
        text = re.sub(r"\s+", " ", f.read_text(encoding="utf-8"))
        for sentence in re.split(r"(?<=[.!?;:])\s", text):
            for number in REPLACED_LAWS:
                if number in sentence:
                    assert any(w in sentence.lower() for w in REPLACED_WORDS), (
                        f"{f}: presents {number} as if in force: {sentence[:200]}"
                    )


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_images_and_links_resolve_inside_the_course(course):
    for lesson in lessons(course):
        for target in LINK.findall(lesson.read_text(encoding="utf-8")):
            if re.match(r"^(https?:|mailto:|#)", target):
                continue
            path = (lesson.parent / target.split("#", 1)[0]).resolve()
            assert path.is_file(), f"{lesson}: {target} does not exist"
            assert course.resolve() in path.parents, f"{lesson}: {target} leaves the course"


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_svg_diagrams_are_safe(course):
    for svg in course.rglob("*.svg"):
        text = svg.read_text(encoding="utf-8").lower()
        for bad in ("<script", "onload=", "onclick=", "<foreignobject", "javascript:", 'href="http'):
            assert bad not in text, f"{svg}: {bad}"


def test_question_bank_size_kinds_and_explanations():
    total = 0
    for course in REAL_COURSES:
        qs = questions(course)
        total += len(qs)
        kinds = {q["kind"] for q in qs}
        assert kinds == {"single", "multiple", "true_false", "short_text", "matching", "ordering"}, course
        ids = [q["id"] for q in qs]
        assert len(ids) == len(set(ids)), course
        for q in qs:
            assert str(q.get("explanation", "")).strip(), q["id"]
    assert total >= 60


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_answer_keys_are_valid(course):
    for q in questions(course):
        kind = q["kind"]
        if kind in {"single", "multiple"}:
            correct = [o for o in q["options"] if o.get("correct")]
            assert len(q["options"]) >= 2, q["id"]
            assert (len(correct) == 1) if kind == "single" else (len(correct) >= 1), q["id"]
        elif kind == "true_false":
            assert isinstance(q["answer"], bool), q["id"]
        elif kind == "short_text":
            assert q["answers"], q["id"]
            assert all(str(a).strip() for a in q["answers"]), q["id"]
        elif kind == "matching":
            assert len(q["pairs"]) >= 2, q["id"]
            assert len({p["right"] for p in q["pairs"]}) == len(q["pairs"]), q["id"]
        elif kind == "ordering":
            assert len(q["items"]) >= 3, q["id"]
            assert len(set(q["items"])) == len(q["items"]), q["id"]


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_every_pool_has_enough_questions(course):
    bank = questions(course)
    for f in quiz_files(course):
        quiz = yaml.safe_load(f.read_text(encoding="utf-8"))
        for pool in quiz.get("pools") or []:
            tagged = [q for q in bank if pool["tag"] in (q.get("tags") or [])]
            assert len(tagged) >= pool["draw"], f"{f}: pool {pool['tag']}"


def test_real_courses_import_without_errors(app):
    """The importer (with every registered part, e.g. quizzes) accepts every course as written."""
    runner = app.test_cli_runner()
    for path in (ROOT, ROOT / "_example"):
        result = runner.invoke(args=["lms", "courses", "import", str(path), "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "ERROR" not in result.output
