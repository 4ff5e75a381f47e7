"""Content lint for the real courses in courses/ (issue: correct and current content).

These checks read the files as an author wrote them; the importer's own strict
validation is exercised by tests/catalog and by test_real_courses_import below.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "courses"
REAL_COURSES = sorted(p.parent for p in ROOT.glob("*/course.yaml"))


def is_public(course: Path) -> bool:
    return bool(yaml.safe_load((course / "course.yaml").read_text(encoding="utf-8")).get("public"))


STAFF_COURSES = [c for c in REAL_COURSES if not is_public(c)]
PUBLIC_COURSES = [c for c in REAL_COURSES if is_public(c)]
ALL_COURSES = [*REAL_COURSES, *sorted(p.parent for p in ROOT.glob("_example/*/course.yaml"))]
# Replaced instruments: a sentence may name one only to say it was replaced or is the earlier text.
REPLACED_LAWS = (
    "130/2018",  # digital signatures → Decree 23/2025
    "51/2005",  # Law on E-Transactions → Law 20/2023
    "43/2011",  # four online-service levels → Decree 42/2022 (from 15/8/2022)
    "61/2018",  # one-stop mechanism → Decree 118/2025
    "107/2021",  # amended 61/2018 → Decree 118/2025
    "45/2020",  # procedures by electronic means: taught only as the earlier decree (118/2025 now)
)
REPLACED_WORDS = ("thay thế", "hết hiệu lực", "bãi bỏ", "trước đây", "replaced", "earlier", "formerly")
# Since 1/7/2025 the national portal is the single gateway and the district level is gone: a
# provincial public-service portal or a district may only be named as history.
PROVINCIAL_PORTAL = re.compile(
    r"cổng (dịch vụ công|DVC)( trực tuyến)? (riêng )?(của |cấp )?(tỉnh|huyện)", re.IGNORECASE
)
DISTRICT = re.compile(r"\b(huyện|quận|thị xã|thị trấn)\b", re.IGNORECASE)
HISTORY_WORDS = (
    "trước đây",
    "đã đóng",
    "đóng giao diện",
    "không còn",
    "đã kết thúc",
    "kết thúc hoạt động",
    "giải thể",
    "trước 01/7/2025",
    "trước 1/7/2025",
    "lịch sử",
    "formerly",
)
RULES = (
    (
        "presents a replaced document as if in force",
        lambda s: any(n in s for n in REPLACED_LAWS),
        REPLACED_WORDS,
    ),
    ("calls a provincial public-service portal current", PROVINCIAL_PORTAL.search, HISTORY_WORDS),
    ("names a district-level unit as current", DISTRICT.search, HISTORY_WORDS),
)
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


def test_the_three_staff_courses_and_the_public_course_are_there():
    assert {p.name for p in STAFF_COURSES} == {
        "chu-ky-so-cong-vu",
        "van-ban-dien-tu-lien-thong",
        "dich-vu-cong-truc-tuyen",
    }
    assert [p.name for p in PUBLIC_COURSES] == ["cong-dan-dien-tu"]


@pytest.mark.parametrize("course", PUBLIC_COURSES, ids=lambda p: p.name)
def test_public_course_is_short_readable_and_has_no_certificate(course):
    meta = yaml.safe_load((course / "course.yaml").read_text(encoding="utf-8"))
    assert meta["title_en"]
    assert meta["summary_en"]
    assert meta.get("certificate_validity_months", 0) == 0
    assert meta["completion"] == {
        "lessons": "required",
        "quizzes": "none",
        "final_exam": "none",
        "attendance": "none",
    }
    modules = sorted(p.parent for p in course.glob("*/module.yaml"))
    assert len(modules) == 3
    for module in modules:
        assert 2 <= len(list(module.glob("[0-9]*.md"))) <= 4, module


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_all_text_is_nfc_utf8(course):
    for f in course.rglob("*"):
        if f.suffix in {".md", ".yaml", ".svg"}:
            text = f.read_text(encoding="utf-8")
            assert text == unicodedata.normalize("NFC", text), f


@pytest.mark.parametrize("course", STAFF_COURSES, ids=lambda p: p.name)
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


def sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text)
    return re.split(r"(?<=[.!?;:])\s", text)


def text_units(f: Path) -> list[str]:
    """The pieces of a file that must each be true on their own.

    A lesson: its sentences. A quiz: the sentences of prompts, explanations, correct options and
    feedback; a wrong option is judged together with its feedback (a distractor may name an old
    decree or the closed provincial portal when its feedback says so), and so is the prompt of a
    true/false question whose answer is "false" (together with its explanation).
    """
    if f.suffix == ".md":
        return sentences(f.read_text(encoding="utf-8"))
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    units = sentences(str(data.get("title", "")))
    for q in data.get("questions") or []:
        explanation = str(q.get("explanation", ""))
        units += sentences(explanation)
        if q.get("kind") == "true_false" and q.get("answer") is False:
            units.append(re.sub(r"\s+", " ", f"{q['prompt']} {q.get('feedback_true', '')} {explanation}"))
        else:
            units += sentences(str(q.get("prompt", "")))
        for key in ("feedback_true", "feedback_false"):
            units += sentences(str(q.get(key, "")))
        for option in q.get("options") or []:
            text = f"{option['text']} {option.get('feedback', '')}"
            units += sentences(text) if option.get("correct") else [re.sub(r"\s+", " ", text)]
        units += [str(a) for a in q.get("answers") or []]
        units += [f"{p['left']} {p['right']}" for p in q.get("pairs") or []]
        units += [str(i) for i in q.get("items") or []]
    return units


def content_problems(course: Path) -> list[str]:
    """Replaced decrees, the closed provincial portals and districts spoken of as current."""
    problems = []
    for f in [*lessons(course), *quiz_files(course)]:
        for unit in text_units(f):
            lower = unit.lower()
            for message, matches, allowed in RULES:
                if matches(unit) and not any(w in lower for w in allowed):
                    problems.append(f"{f}: {message}: {unit[:200]}")
    return problems


@pytest.mark.parametrize("course", ALL_COURSES, ids=lambda p: p.name)
def test_no_replaced_law_provincial_portal_or_district_presented_as_current(course):
    assert content_problems(course) == []


PLANTED = {
    "present-tense 45/2020": "Nghị định 45/2020/NĐ-CP quy định việc tiếp nhận hồ sơ trên cổng.",
    "present-tense 43/2011": "Theo Nghị định 43/2011/NĐ-CP, thủ tục này là mức độ 4.",
    "one-stop decree 61/2018": "Bộ phận Một cửa làm việc theo Nghị định 61/2018/NĐ-CP.",
    "UBND huyện example": "Hồ sơ được chuyển lên UBND huyện Tiên Yên để giải quyết.",
    "district official": "Cán bộ phòng Tư pháp huyện ký kết quả.",
    "provincial portal": "Người dân nộp hồ sơ trên cổng dịch vụ công của tỉnh.",
}


@pytest.mark.parametrize("sentence", PLANTED.values(), ids=PLANTED.keys())
def test_lint_fails_on_a_planted_lesson_sentence(tmp_path, sentence):
    course = tmp_path / "dich-vu-cong-truc-tuyen"
    shutil.copytree(ROOT / "dich-vu-cong-truc-tuyen", course)
    assert content_problems(course) == []
    lesson = course / "03-quy-trinh-mot-cua" / "01-tiep-nhan-va-kiem-tra.md"
    body = lesson.read_text(encoding="utf-8")
    lesson.write_text(body.replace("## Thời hạn\n", f"## Thời hạn\n\n{sentence}\n"), encoding="utf-8")
    (problem,) = content_problems(course)
    assert "01-tiep-nhan-va-kiem-tra.md" in problem


def test_lint_fails_on_a_planted_quiz_question(tmp_path):
    course = tmp_path / "dich-vu-cong-truc-tuyen"
    shutil.copytree(ROOT / "dich-vu-cong-truc-tuyen", course)
    quiz = course / "02-thu-tuc-dien-tu" / "quiz.yaml"
    data = yaml.safe_load(quiz.read_text(encoding="utf-8"))
    data["questions"].append(
        {
            "id": "cai-cam",
            "kind": "true_false",
            "tags": ["phap-ly"],
            "prompt": "Nghị định 45/2020/NĐ-CP quy định về thực hiện thủ tục hành chính trên môi trường điện tử.",
            "explanation": "Đúng.",
            "answer": True,
        }
    )
    quiz.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (problem,) = content_problems(course)
    assert "45/2020" in problem


def test_lint_accepts_the_earlier_decree_and_history():
    allowed = [
        "Trước đây, thủ tục trên môi trường điện tử được quy định tại Nghị định 45/2020/NĐ-CP.",
        "Nghị định 43/2011/NĐ-CP đã hết hiệu lực từ ngày 15/8/2022.",
        "Cấp huyện đã kết thúc hoạt động từ ngày 01/7/2025.",
        "Giao diện cổng dịch vụ công cấp tỉnh đã đóng từ 01/7/2025.",
    ]
    for sentence in allowed:
        assert not [
            m for m, matches, ok in RULES if matches(sentence) and not any(w in sentence.lower() for w in ok)
        ]


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
    for course in STAFF_COURSES:
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


@pytest.mark.parametrize("course", STAFF_COURSES, ids=lambda p: p.name)
def test_final_exam_draws_only_its_own_questions_and_reviews_after_close(course):
    """Module quizzes show answers after submit; the final exam must not re-serve those questions.

    Every final-exam pool draws from questions defined in final_exam.yaml only (at least as many
    as it draws), no module question carries an exam tag, and the exam itself shows answers only
    once the learner has used every attempt (docs/decisions/1502-content-final-exam-own-questions.md).
    """
    exam = yaml.safe_load((course / "final_exam.yaml").read_text(encoding="utf-8"))
    own = exam.get("questions") or []
    module_questions = [q for f in quiz_files(course) if f.name != "final_exam.yaml" for q in questions_in(f)]
    assert exam.get("review") == "after_close"
    for pool in exam["pools"]:
        assert len([q for q in own if pool["tag"] in q["tags"]]) >= pool["draw"], pool
        assert not [q["id"] for q in module_questions if pool["tag"] in (q.get("tags") or [])], pool


def questions_in(f: Path) -> list[dict]:
    return yaml.safe_load(f.read_text(encoding="utf-8")).get("questions") or []


def test_titles_and_headings_use_an_en_dash():
    for course in REAL_COURSES:
        for lesson in lessons(course):
            for line in lesson.read_text(encoding="utf-8").splitlines():
                if line.startswith(("title:", "#")):
                    assert " - " not in line, f"{lesson}: {line}"


def test_real_courses_import_without_errors(app):
    """The importer (with every registered part, e.g. quizzes) accepts every course as written."""
    runner = app.test_cli_runner()
    for path in (ROOT, ROOT / "_example"):
        result = runner.invoke(args=["lms", "courses", "import", str(path), "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "ERROR" not in result.output
