"""The trainer chooses when the final exam opens in the course settings (issue 16)."""

from __future__ import annotations

from typing import Any

from lms.authoring import files, services


def test_trainer_sets_the_rule_in_the_course_settings(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    draft = services.get_draft(session, authored.course)
    base = {"title": "Ký số", "summary": "Tóm tắt", "topic": "other", "language": "vi", "estimated_hours": "1",
            "certificate_validity_months": "0", "require_final_exam": "y"}  # fmt: skip
    page = client.post(
        f"/authoring/{authored.course.id}/",
        data={**base, "final_exam_opens": "date", "lock_version": str(draft.lock_version)},
    ).get_data(as_text=True)
    assert "Hãy chọn ngày mở bài thi cuối khoá." in page  # a date is needed
    response = client.post(
        f"/authoring/{authored.course.id}/",
        data={**base, "final_exam_opens": "date", "final_exam_opens_on": "2027-02-01",
              "lock_version": str(draft.lock_version)},
    )  # fmt: skip
    assert response.status_code == 302
    session.refresh(draft)
    assert draft.final_exam_opens == "2027-02-01"
    page = client.get(f"/authoring/{authored.course.id}/").get_data(as_text=True)
    assert 'value="2027-02-01"' in page
    assert (
        files.draft_course_yaml(session, draft, version=2, status="published")["final_exam_opens"]
        == "2027-02-01"
    )
