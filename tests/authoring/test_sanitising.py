"""The XSS corpus through every editor field: no page, preview or export shows live markup."""

from __future__ import annotations

from typing import Any

from lms.authoring import services
from tests.authoring.xss import PAYLOAD, SHORT, live_markup


def test_checker_catches_live_markup() -> None:
    assert live_markup('<img src=x onerror="alert(1)">') == ["<img onerror>"]
    assert live_markup('<a href=" JaVaScript:alert(1)">x</a>')
    assert live_markup("<svg></svg>") == ["<svg>"]
    assert live_markup('<script src="/static/js/authoring.js" defer></script>') == []


def test_corpus_through_every_editor_field(
    session: Any, authored: Any, login_as: Any, make_user: Any
) -> None:
    client = login_as(authored.author)
    cid = authored.course.id
    draft = services.get_draft(session, authored.course)
    settings = {
        "title": SHORT[:250], "title_en": SHORT[:250], "summary": PAYLOAD, "summary_en": PAYLOAD,
        "topic": "other", "language": "vi", "estimated_hours": "1", "certificate_validity_months": "0",
        "require_lessons": "y", "lock_version": str(draft.lock_version),
    }  # fmt: skip
    assert client.post(f"/authoring/{cid}/", data=settings).status_code == 302
    module_id = authored.module.id
    assert client.post(f"/authoring/{cid}/modules/{module_id}",
                       data={"title": SHORT[:250], "title_en": SHORT[:250], "summary": PAYLOAD}).status_code == 302  # fmt: skip
    lesson_url = f"/authoring/{cid}/lessons/{authored.lesson.id}"
    lesson_form = {"title": SHORT[:250], "estimated_minutes": "5", "required": "y", "body_markdown": PAYLOAD,
                   "image_alt": SHORT[:200], "lock_version": str(authored.lesson.lock_version)}  # fmt: skip
    preview = client.post(f"{lesson_url}/preview-page", data=lesson_form)
    assert preview.status_code == 200
    assert live_markup(preview.get_data(as_text=True)) == []
    live = client.post(f"{lesson_url}/preview", data={"body_markdown": PAYLOAD}).get_json()["html"]
    assert live_markup(live) == []
    assert client.post(lesson_url, data=lesson_form).status_code == 302
    session.refresh(authored.lesson)
    assert live_markup(authored.lesson.body_html) == []
    response = client.post(f"/authoring/{cid}/publish", data={"note": PAYLOAD}, follow_redirects=True)
    session.refresh(authored.course)
    assert authored.course.version == 1, response.get_data(as_text=True)

    pages = [
        "/authoring/",
        f"/authoring/{cid}/",
        f"/authoring/{cid}/modules/{module_id}",
        lesson_url,
        f"/authoring/{cid}/preview",
        f"/authoring/{cid}/preview/{authored.lesson.id}",
        f"/authoring/{cid}/history",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert live_markup(response.get_data(as_text=True)) == [], url
    learner = make_user("learner")
    login_as(learner)
    slug = authored.course.slug
    assert client.post(f"/courses/{slug}/enrol").status_code == 302
    lesson_page = f"/courses/{slug}/learn/{authored.module.key}/{authored.lesson.key}"
    for url in ["/courses/", f"/courses/{slug}", lesson_page, "/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert live_markup(response.get_data(as_text=True)) == [], url
    assert "&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt;" in client.get(lesson_page).get_data(as_text=True)


def test_corpus_in_course_title_stays_text_in_the_certificate_pdf(
    app: Any, session: Any, authored: Any, login_as: Any, make_user: Any, tmp_path: Any
) -> None:
    import subprocess

    from lms.authoring import publishing
    from lms.certificates.models import Certificate
    from lms.certificates.pdf import certificate_context, html_to_pdf, render_html

    title = "<script>alert('s')</script> <img src=x onerror=alert(1)> Ký số"
    draft = services.get_draft(session, authored.course)
    services.update_metadata(session, draft, {"title": title, "summary": PAYLOAD, "require_quizzes": False,
                             "require_final_exam": False}, expected_version=draft.lock_version, by=authored.author)  # fmt: skip
    publishing.publish_draft(session, authored.course, by=authored.author)
    learner = make_user("learner", full_name="<b>Nguyễn</b> Văn A")
    client = login_as(learner)
    slug = authored.course.slug
    client.post(f"/courses/{slug}/enrol")
    client.post(f"/courses/{slug}/learn/{authored.module.key}/{authored.lesson.key}/complete")
    cert = session.query(Certificate).filter_by(user_id=learner.id, course_id=authored.course.id).one()
    with app.test_request_context():
        pdf = html_to_pdf(render_html(certificate_context(cert)))
    assert b"/JavaScript" not in pdf
    assert b"/Launch" not in pdf
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    flat = " ".join(text.split())
    assert "<script>alert('s')</script>" in flat  # shown as text, not interpreted
    assert "<img src=x onerror=alert(1)>" in flat
    assert "<b>Nguyễn</b> Văn A" in flat
