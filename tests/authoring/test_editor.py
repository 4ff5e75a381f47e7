"""Course editor through the UI: structure, lessons, conflicts, preview, images."""

from __future__ import annotations

import io
from typing import Any

from lms.authoring import publishing, services
from lms.authoring.models import DraftLesson, DraftModule
from lms.catalog.models import CourseAsset

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def test_settings_are_saved_to_the_draft_not_the_course(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    draft = services.get_draft(session, authored.course)
    response = client.post(
        f"/authoring/{authored.course.id}/",
        data={
            "title": "Ký số nâng cao",
            "summary": "Tóm tắt",
            "topic": "e-documents",
            "language": "vi",
            "estimated_hours": "2.5",
            "certificate_validity_months": "24",
            "sequential_modules": "y",
            "require_lessons": "y",
            "lock_version": str(draft.lock_version),
        },
    )
    assert response.status_code == 302
    session.refresh(draft)
    assert (draft.title, draft.topic, draft.estimated_hours, draft.certificate_validity_months) == (
        "Ký số nâng cao",
        "e-documents",
        2.5,
        24,
    )
    assert draft.sequential_modules
    assert draft.require_lessons
    assert not draft.require_quizzes
    assert authored.course.title == "Ký số cơ bản"  # learners still see the published title


def test_invalid_settings_show_errors(authored: Any, login_as: Any, session: Any) -> None:
    client = login_as(authored.author)
    draft = services.get_draft(session, authored.course)
    response = client.post(
        f"/authoring/{authored.course.id}/",
        data={"title": "", "summary": "x", "topic": "other", "language": "vi", "estimated_hours": "-1",
              "certificate_validity_months": "0", "lock_version": str(draft.lock_version)},
    )  # fmt: skip
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_two_trainers_editing_settings_conflict(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    draft = services.get_draft(session, authored.course)
    opened = draft.lock_version
    form = {"title": "A", "summary": "s", "topic": "other", "language": "vi", "estimated_hours": "1",
            "certificate_validity_months": "0", "lock_version": str(opened)}  # fmt: skip
    assert client.post(f"/authoring/{authored.course.id}/", data=form).status_code == 302
    response = client.post(f"/authoring/{authored.course.id}/", data={**form, "title": "B"})
    assert response.status_code == 409
    session.refresh(draft)
    assert draft.title == "A"


def test_modules_and_lessons_added_renamed_reordered_removed(
    session: Any, authored: Any, login_as: Any
) -> None:
    client = login_as(authored.author)
    cid = authored.course.id
    assert client.post(f"/authoring/{cid}/modules", data={"module-title": "Pháp lý"}).status_code == 302
    draft = services.get_draft(session, authored.course)
    session.refresh(draft)
    assert [m.title for m in draft.modules] == ["Tổng quan", "Pháp lý"]
    second = draft.modules[1]
    assert second.key == "02-phap-ly"
    client.post(f"/authoring/{cid}/modules/{second.id}/move/up")
    session.refresh(draft)
    assert [m.title for m in draft.modules] == ["Pháp lý", "Tổng quan"]
    client.post(f"/authoring/{cid}/modules/{second.id}", data={"title": "Khung pháp lý", "summary": ""})
    session.refresh(second)
    assert second.title == "Khung pháp lý"
    assert second.key == "02-phap-ly"
    response = client.post(
        f"/authoring/{cid}/modules/{second.id}/lessons", data={"lesson-title": "Luật 20/2023"}
    )
    assert response.status_code == 302
    assert "/lessons/" in response.headers["Location"]
    client.post(f"/authoring/{cid}/modules/{second.id}/lessons", data={"lesson-title": "Nghị định 23"})
    session.refresh(second)
    first_lesson, second_lesson = second.lessons
    client.post(f"/authoring/{cid}/lessons/{second_lesson.id}/move/up")
    session.refresh(second)
    assert [x.title for x in second.lessons] == ["Nghị định 23", "Luật 20/2023"]
    client.post(f"/authoring/{cid}/lessons/{first_lesson.id}/delete")
    session.refresh(second)
    assert [x.title for x in second.lessons] == ["Nghị định 23"]
    second_id = second.id
    client.post(f"/authoring/{cid}/modules/{second_id}/delete")
    session.expire_all()
    assert [m.title for m in draft.modules] == ["Tổng quan"]
    assert session.get(DraftModule, second_id) is None


def test_structure_of_another_course_is_404(
    session: Any, authored: Any, make_user: Any, login_as: Any
) -> None:
    other = services.create_course(session, slug="khac", title="Khác", topic="other", by=authored.author)
    client = login_as(authored.author)
    assert client.post(f"/authoring/{other.id}/lessons/{authored.lesson.id}/delete").status_code == 404


def _lesson_form(lesson: DraftLesson, **extra: Any) -> dict[str, Any]:
    return {
        "title": lesson.title,
        "estimated_minutes": "12",
        "required": "y",
        "body_markdown": lesson.body_markdown,
        "lock_version": str(lesson.lock_version),
        **extra,
    }


def test_lesson_save_renders_with_the_learner_renderer(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}"
    response = client.post(
        url, data=_lesson_form(authored.lesson, body_markdown="## Mục\n\n::: note\nGhi chú\n:::")
    )
    assert response.status_code == 302
    session.refresh(authored.lesson)
    assert "<h2>Mục</h2>" in authored.lesson.body_html
    assert '<div class="admonition note">' in authored.lesson.body_html


def test_preview_button_renders_without_saving(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}"
    before = authored.lesson.body_markdown
    page = client.get(url).get_data(as_text=True)
    assert f'formaction="{url}/preview-page"' in page  # the Preview button posts there, no JavaScript needed
    response = client.post(f"{url}/preview-page", data=_lesson_form(authored.lesson, body_markdown="**mới**"))
    assert response.status_code == 200
    assert "<strong>mới</strong>" in response.get_data(as_text=True)
    session.refresh(authored.lesson)
    assert authored.lesson.body_markdown == before


def test_live_preview_endpoint(authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}/preview"
    response = client.post(url, data={"body_markdown": "*nghiêng* <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<em>nghiêng</em>" in html
    assert "<script" not in html


def test_concurrent_lesson_edit_is_refused_not_overwritten(
    session: Any, authored: Any, make_user: Any, login_as: Any
) -> None:
    second = make_user("trainer", full_name="Trần Thị Hoa")
    services.add_author(session, authored.course, second, by=make_user("admin"))
    lesson = authored.lesson
    opened = lesson.lock_version  # both trainers open the same version
    url = f"/authoring/{authored.course.id}/lessons/{lesson.id}"
    client = login_as(second)
    assert (
        client.post(
            url, data=_lesson_form(lesson, body_markdown="Bản của Hoa", lock_version=str(opened))
        ).status_code
        == 302
    )
    login_as(authored.author)
    response = client.post(
        url, data=_lesson_form(lesson, body_markdown="Bản của tác giả", lock_version=str(opened))
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Trần Thị Hoa" in page
    assert "Bản của Hoa" in page
    assert "Bản của tác giả" in page
    session.refresh(lesson)
    assert lesson.body_markdown == "Bản của Hoa"
    # Saving again from the conflict page (which carries the new version) keeps the author's text.
    assert client.post(url, data=_lesson_form(lesson, body_markdown="Bản của tác giả")).status_code == 302
    session.refresh(lesson)
    assert lesson.body_markdown == "Bản của tác giả"


def test_image_upload_by_magic_number(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}/image"
    assert f'formaction="{url}"' in client.get(url.removesuffix("/image")).get_data(as_text=True)
    for data, ctype in ((PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")):
        form = _lesson_form(authored.lesson, image_alt="Sơ đồ",
                            image=(io.BytesIO(data), "anh.txt"))  # fmt: skip
        response = client.post(url, data=form, content_type="multipart/form-data")
        assert response.status_code == 200
        asset = session.query(CourseAsset).filter_by(course_id=authored.course.id, content_type=ctype).one()
        assert asset.path.startswith("media/")
        assert "anh" not in asset.path
        page = response.get_data(as_text=True)
        assert f"![Sơ đồ](../{asset.path})" in page  # added to the text, not yet saved
        served = client.get(f"/authoring/assets/{authored.course.id}/{asset.path}")
        assert served.status_code == 200
        assert served.mimetype == ctype
        assert served.data == data
        assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_unsafe_or_wrong_images_are_refused(
    session: Any, authored: Any, login_as: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "MAX_IMAGE_BYTES", 1024)  # small, so the test client keeps it in memory
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}/image"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    html_as_png = b"<html><script>alert(1)</script></html>"
    too_big = PNG + b"\x00" * 1024
    for data, name in ((svg, "a.svg"), (html_as_png, "a.png"), (too_big, "big.png"), (b"", "empty.png")):
        form = _lesson_form(authored.lesson, image=(io.BytesIO(data), name))
        response = client.post(url, data=form, content_type="multipart/form-data")
        assert response.status_code == 400, name
        assert 'class="error"' in response.get_data(as_text=True)
    assert session.query(CourseAsset).filter_by(course_id=authored.course.id).count() == 0


def test_saved_lesson_image_links_to_the_served_file(session: Any, authored: Any, login_as: Any) -> None:
    asset = services.store_image(session, authored.course, PNG, by=authored.author)
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}"
    client.post(url, data=_lesson_form(authored.lesson, body_markdown=f"![Sơ đồ](../{asset.path})"))
    session.refresh(authored.lesson)
    assert f'src="/authoring/assets/{authored.course.id}/{asset.path}"' in authored.lesson.body_html


def test_draft_images_are_private_until_published(
    session: Any, authored: Any, make_user: Any, login_as: Any
) -> None:
    asset = services.store_image(session, authored.course, PNG, by=authored.author)
    client = login_as(make_user("learner"))
    assert client.get(f"/authoring/assets/{authored.course.id}/{asset.path}").status_code == 403
    publishing.publish_draft(session, authored.course, by=authored.author)
    assert client.get(f"/authoring/assets/{authored.course.id}/{asset.path}").status_code == 200


def test_preview_as_learner_shows_the_draft(session: Any, authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    page = client.get(f"/authoring/{authored.course.id}/preview").get_data(as_text=True)
    assert "Chữ ký số là gì?" in page
    assert "<strong>khoá bí mật</strong>" in page


def test_draft_image_is_served_like_a_published_one(session: Any, authored: Any, login_as: Any) -> None:
    """One image response (lms.catalog.assets): ETag and 304, revalidated unless the URL is versioned."""
    asset = services.store_image(session, authored.course, PNG, by=authored.author)
    client = login_as(authored.author)
    url = f"/authoring/assets/{authored.course.id}/{asset.path}"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert first.headers["Content-Disposition"] == "inline"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    versioned = client.get(f"{url}?v={asset.sha256[:12]}")
    assert "immutable" in versioned.headers["Cache-Control"]
