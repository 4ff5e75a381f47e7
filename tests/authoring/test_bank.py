"""Question bank: every kind saved through the UI, wrong questions refused, pools, trials."""

from __future__ import annotations

from typing import Any

import pytest

from lms.authoring import bank, services
from lms.authoring.models import DraftQuestion


@pytest.fixture
def quiz(session: Any, authored: Any) -> Any:
    draft = services.get_draft(session, authored.course)
    return bank.add_quiz(session, draft, authored.module, by=authored.author)


def _common(**extra: Any) -> dict[str, Any]:
    return {"prompt": "Câu hỏi?", "explanation": "Vì vậy.", "points": "1", "tags": "khai-niem", **extra}


def _options(*rows: tuple[str, bool, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for i, (text, correct, feedback) in enumerate(rows):
        data[f"options-{i}-text"] = text
        if correct:
            data[f"options-{i}-correct"] = "y"
        data[f"options-{i}-feedback"] = feedback
    return data


VALID = {
    "single": _options(("Đúng", True, "Chính xác"), ("Sai", False, "Không phải")),
    "multiple": {**_options(("A", True, ""), ("B", True, ""), ("C", False, "")), "scoring": "partial"},
    "true_false": {"answer": "false", "feedback_true": "Không", "feedback_false": "Đúng vậy"},
    "short_text": {"answers": "chữ ký số\nchu ky so", "ignore_diacritics": "y"},
    "matching": {
        "pairs-0-left": "CA",
        "pairs-0-right": "Cấp chứng thư",
        "pairs-1-left": "USB token",
        "pairs-1-right": "Giữ khoá bí mật",
    },
    "ordering": {"items": "Băm\nMã hoá bằng khoá bí mật\nGửi kèm văn bản"},
}
INVALID = {
    "single-no-correct": ("single", _options(("A", False, ""), ("B", False, ""))),
    "single-two-correct": ("single", _options(("A", True, ""), ("B", True, ""))),
    "single-one-option": ("single", _options(("A", True, ""))),
    "multiple-no-correct": (
        "multiple",
        {**_options(("A", False, ""), ("B", False, "")), "scoring": "partial"},
    ),
    "short-text-no-answer": ("short_text", {"answers": "  \n"}),
    "matching-one-pair": ("matching", {"pairs-0-left": "A", "pairs-0-right": "B"}),
    "matching-same-right": (
        "matching",
        {"pairs-0-left": "A", "pairs-0-right": "X", "pairs-1-left": "B", "pairs-1-right": "X"},
    ),
    "ordering-two-items": ("ordering", {"items": "Một\nHai"}),
}


@pytest.mark.parametrize("kind", list(VALID))
def test_every_kind_is_saved(session: Any, authored: Any, quiz: Any, login_as: Any, kind: str) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}/questions/new?kind={kind}"
    assert client.get(url).status_code == 200
    response = client.post(url, data={**_common(), **VALID[kind]})
    assert response.status_code == 302, response.get_data(as_text=True)
    question = session.query(DraftQuestion).filter_by(quiz_id=quiz.id).one()
    assert question.data["kind"] == kind
    assert question.data["explanation"] == "Vì vậy."
    assert question.data["tags"] == ["khai-niem"]
    if kind == "single":
        assert question.data["options"][0] == {"text": "Đúng", "correct": True, "feedback": "Chính xác"}
        assert question.data["options"][1]["feedback"] == "Không phải"
    # The edit form shows what was stored.
    page = client.get(f"/authoring/{authored.course.id}/questions/{question.id}").get_data(as_text=True)
    assert "Câu hỏi?" in page


@pytest.mark.parametrize("case", list(INVALID))
def test_wrong_questions_cannot_be_saved(
    session: Any, authored: Any, quiz: Any, login_as: Any, case: str
) -> None:
    kind, fields = INVALID[case]
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}/questions/new?kind={kind}"
    response = client.post(url, data={**_common(), **fields})
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    assert session.query(DraftQuestion).filter_by(quiz_id=quiz.id).count() == 0


def test_prompt_and_explanation_are_required(session: Any, authored: Any, quiz: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}/questions/new?kind=single"
    response = client.post(url, data={**_common(explanation=""), **VALID["single"]})
    assert response.status_code == 400
    assert session.query(DraftQuestion).count() == 0


def test_question_ids_are_unique_in_the_course(session: Any, authored: Any, quiz: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}/questions/new?kind=single"
    assert client.post(url, data={**_common(key="cau-1"), **VALID["single"]}).status_code == 302
    assert client.post(url, data={**_common(key="cau-1"), **VALID["single"]}).status_code == 400
    # Without an id one is generated from the prompt.
    assert client.post(url, data={**_common(), **VALID["single"]}).status_code == 302
    keys = sorted(q.key for q in session.query(DraftQuestion))
    assert keys == ["cau-1", "cau-hoi"]


def _settings(**extra: Any) -> dict[str, Any]:
    return {"title": "Kiểm tra", "pass_mark": "70", "max_attempts": "3", "time_limit_minutes": "15",
            "questions_per_page": "0", "review": "after_submit", "shuffle_questions": "y", "required": "y", **extra}  # fmt: skip


def test_quiz_settings_and_pool_check(session: Any, authored: Any, quiz: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    for i in range(2):
        bank.save_question(session, quiz, None, {"id": f"q{i}", "kind": "true_false", "tags": ["phap-ly"],
                           "prompt": "P", "explanation": "E", "answer": True}, expected_version=None,
                           by=authored.author)  # fmt: skip
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}"
    form = _settings(lock_version=str(quiz.lock_version), **{"pools-0-tag": "phap-ly", "pools-0-draw": "3"})
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert "phap-ly" in response.get_data(as_text=True)
    session.refresh(quiz)
    assert quiz.settings["pools"] == []
    form["pools-0-draw"] = "2"
    assert client.post(url, data=form).status_code == 302
    session.refresh(quiz)
    assert quiz.settings["pools"] == [{"tag": "phap-ly", "draw": 2}]
    assert (
        quiz.settings["pass_mark"],
        quiz.settings["max_attempts"],
        quiz.settings["time_limit_minutes"],
    ) == (70, 3, 15)
    page = client.get(f"/authoring/{authored.course.id}/quizzes").get_data(as_text=True)
    assert "phap-ly" in page
    # Removing a question makes the pool short, and the bank page says so.
    bank.delete_question(session, quiz.questions[0], by=authored.author)
    session.flush()
    report = bank.pool_report(services.get_draft(session, authored.course))
    assert [(p.tag, p.draw, p.available, p.ok) for p in report] == [("phap-ly", 2, 1, False)]


def test_concurrent_question_edits_conflict(session: Any, authored: Any, quiz: Any, login_as: Any) -> None:
    question = bank.save_question(session, quiz, None, {"id": "q1", "kind": "true_false", "prompt": "P",
                                  "explanation": "E", "answer": True}, expected_version=None, by=authored.author)  # fmt: skip
    opened = question.lock_version
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/questions/{question.id}"
    data = {**_common(key="q1"), "answer": "true", "lock_version": str(opened)}
    assert client.post(url, data={**data, "prompt": "Lần 1"}).status_code == 302
    assert client.post(url, data={**data, "prompt": "Lần 2"}).status_code == 409
    session.refresh(question)
    assert question.data["prompt"] == "Lần 1"


def test_trying_a_quiz_grades_without_recording(
    session: Any, authored: Any, quiz: Any, login_as: Any
) -> None:
    from lms.quizzes.models import Attempt

    question = bank.save_question(session, quiz, None, {"id": "q1", "kind": "single", "prompt": "Chọn A",
                                  "explanation": "Giải thích A", "options": [{"text": "A", "correct": True,
                                  "feedback": "Hay"}, {"text": "B"}]}, expected_version=None, by=authored.author)  # fmt: skip
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}/try"
    page = client.get(url).get_data(as_text=True)
    assert "Chọn A" in page
    assert "Giải thích A" not in page  # no answer key before submitting
    import re

    seed = re.search(r'name="seed" value="(\d+)"', page).group(1)
    values = re.findall(rf'name="q{question.id}" value="(\d+)"', page)
    assert len(values) == 2
    results = [
        client.post(url, data={"seed": seed, f"q{question.id}": v}).get_data(as_text=True) for v in values
    ]
    assert all("Giải thích A" in r for r in results)
    full = [r for r in results if "<strong>100,0\u00a0%</strong>" in r]
    assert len(full) == 1
    assert "Hay" in full[0]
    assert session.query(Attempt).count() == 0


def test_non_authors_cannot_touch_the_bank(
    session: Any, authored: Any, quiz: Any, make_user: Any, login_as: Any
) -> None:
    question = bank.save_question(session, quiz, None, {"id": "q1", "kind": "true_false", "prompt": "P",
                                  "explanation": "E", "answer": True}, expected_version=None, by=authored.author)  # fmt: skip
    c = authored.course.id
    for roles in (("trainer",), ("learner",), ("hr",)):
        client = login_as(make_user(*roles))
        for method, url in [
            ("GET", f"/authoring/{c}/quizzes"),
            ("POST", f"/authoring/{c}/quizzes/add/final"),
            ("GET", f"/authoring/{c}/quizzes/{quiz.id}"),
            ("POST", f"/authoring/{c}/quizzes/{quiz.id}"),
            ("POST", f"/authoring/{c}/quizzes/{quiz.id}/delete"),
            ("GET", f"/authoring/{c}/quizzes/{quiz.id}/questions/new?kind=single"),
            ("POST", f"/authoring/{c}/quizzes/{quiz.id}/questions/new?kind=single"),
            ("GET", f"/authoring/{c}/questions/{question.id}"),
            ("POST", f"/authoring/{c}/questions/{question.id}"),
            ("POST", f"/authoring/{c}/questions/{question.id}/delete"),
            ("POST", f"/authoring/{c}/questions/{question.id}/move/up"),
            ("GET", f"/authoring/{c}/quizzes/{quiz.id}/try"),
            ("POST", f"/authoring/{c}/quizzes/{quiz.id}/try"),
        ]:
            assert client.open(url, method=method).status_code == 403, (roles, method, url)


def test_settings_before_questions_but_no_publishing_an_empty_quiz(
    session: Any, authored: Any, quiz: Any, login_as: Any
) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/quizzes/{quiz.id}"
    assert client.post(url, data=_settings(lock_version=str(quiz.lock_version))).status_code == 302
    draft = services.get_draft(session, authored.course)
    session.expire_all()
    assert any("Kiểm tra" in p for p in services.publish_problems(draft)), services.publish_problems(draft)
    response = client.post(
        f"/authoring/{authored.course.id}/publish", data={"note": ""}, follow_redirects=True
    )
    assert "flash-error" in response.get_data(as_text=True)
    session.refresh(authored.course)
    assert authored.course.version == 0


def test_preview_as_learner_links_to_trying_the_quizzes(
    session: Any, authored: Any, quiz: Any, login_as: Any
) -> None:
    draft = services.get_draft(session, authored.course)
    final = bank.add_quiz(session, draft, None, by=authored.author)
    page = login_as(authored.author).get(f"/authoring/{authored.course.id}/preview").get_data(as_text=True)
    assert f"/authoring/{authored.course.id}/quizzes/{quiz.id}/try" in page
    assert f"/authoring/{authored.course.id}/quizzes/{final.id}/try" in page
