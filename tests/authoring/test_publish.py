"""Publishing a draft: versions with who/when/changes, progress kept by key, history restore."""

from __future__ import annotations

from typing import Any

import pytest

from lms.authoring import publishing, services
from lms.catalog.models import CourseStatus, CourseVersion, Lesson
from lms.learning.models import LessonProgress
from lms.learning.services import complete_lesson, enroll_user


def _publish(client: Any, course: Any, note: str = "") -> Any:
    return client.post(f"/authoring/{course.id}/publish", data={"note": note})


def test_first_publish_makes_version_1_visible_to_learners(
    session: Any, authored: Any, login_as: Any, make_user: Any
) -> None:
    client = login_as(make_user("learner"))
    assert "Ký số cơ bản" not in client.get("/courses/").get_data(as_text=True)
    login_as(authored.author)
    assert _publish(client, authored.course, "Bản đầu").status_code == 302
    session.refresh(authored.course)
    assert authored.course.status == CourseStatus.PUBLISHED
    assert authored.course.version == 1
    version = session.query(CourseVersion).filter_by(course_id=authored.course.id).one()
    assert version.number == 1
    assert version.created_by_id == authored.author.id
    assert version.source == "editor"
    assert "Bản đầu" in version.changes
    lesson = session.query(Lesson).filter_by(course_id=authored.course.id).one()
    assert lesson.body_html == authored.lesson.body_html
    assert lesson.key == authored.lesson.key
    login_as(make_user("learner"))
    assert "Ký số cơ bản" in client.get("/courses/").get_data(as_text=True)


def test_publish_refuses_incomplete_drafts(session: Any, make_user: Any, login_as: Any) -> None:
    author = make_user("trainer")
    course = services.create_course(session, slug="rong", title="Rỗng", topic="other", by=author)
    client = login_as(author)
    response = _publish(client, course)
    assert response.status_code == 302
    assert course.version == 0
    assert course.status == CourseStatus.DRAFT
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in page


def test_nothing_to_publish_is_refused(session: Any, authored: Any) -> None:
    publishing.publish_draft(session, authored.course, by=authored.author)
    with pytest.raises(services.AuthoringError):
        publishing.publish_draft(session, authored.course, by=authored.author)


def test_new_version_keeps_progress_of_lessons_that_remain(
    session: Any, authored: Any, make_user: Any
) -> None:
    author, course = authored.author, authored.course
    second = services.add_lesson(session, authored.module, "Khoá công khai", by=author)
    second.body_markdown = "Nội dung"
    publishing.publish_draft(session, course, by=author)
    learner = make_user("learner")
    enrollment = enroll_user(session, learner, course)
    live = {x.key: x for x in session.query(Lesson).filter_by(course_id=course.id)}
    complete_lesson(session, enrollment, live[authored.lesson.key])
    complete_lesson(session, enrollment, live[second.key])
    assert enrollment.completed_at is not None
    completed_at = enrollment.completed_at
    halfway = enroll_user(session, make_user("learner"), course)  # did lesson 1 of 2
    complete_lesson(session, halfway, live[authored.lesson.key])
    other = enroll_user(session, make_user("learner"), course)  # did lesson 2 of 2
    complete_lesson(session, other, live[second.key])
    assert (halfway.progress_percent, other.progress_percent) == (50, 50)

    # v2: edit lesson 1, remove lesson 2, add lesson 3.
    lesson = authored.lesson
    services.save_lesson(session, lesson, title="Chữ ký số là gì? (sửa)", estimated_minutes=10, required=True,
                         body_markdown="Đã sửa", expected_version=lesson.lock_version, by=author)  # fmt: skip
    services.remove_lesson(session, second, by=author)
    third = services.add_lesson(session, authored.module, "Bài mới", by=author)
    third.body_markdown = "Mới"
    version = publishing.publish_draft(session, course, by=author)
    assert version.number == 2
    assert course.version == 2
    assert "Lesson changed: Chữ ký số là gì? (sửa)" in version.changes
    assert "Lesson removed: Khoá công khai" in version.changes
    assert "Lesson added: Bài mới" in version.changes

    live_after = {x.key: x for x in session.query(Lesson).filter_by(course_id=course.id)}
    assert live_after[lesson.key].id == live[lesson.key].id  # same row: progress kept
    assert second.key not in live_after
    session.expire_all()
    done = {p.lesson_id for p in session.query(LessonProgress).filter_by(enrollment_id=enrollment.id)}
    assert done == {live[lesson.key].id}
    # Completed stays completed (Courses rule); the others are recomputed over v2's lessons.
    assert enrollment.completed_at == completed_at
    assert enrollment.completed_version == 1
    assert enrollment.progress_percent == 100
    assert halfway.progress_percent == 50  # lesson 1 kept, new lesson 3 to do
    assert other.progress_percent == 0  # lesson 2 is gone
    assert halfway.completed_at is None


def test_history_lists_versions_and_restores_as_draft(session: Any, authored: Any, login_as: Any) -> None:
    author, course = authored.author, authored.course
    publishing.publish_draft(session, course, by=author)
    lesson = authored.lesson
    services.save_lesson(session, lesson, title=lesson.title, estimated_minutes=5, required=True,
                         body_markdown="Phiên bản hai", expected_version=lesson.lock_version, by=author)  # fmt: skip
    publishing.publish_draft(session, course, by=author)
    client = login_as(author)
    page = client.get(f"/authoring/{course.id}/history").get_data(as_text=True)
    assert author.full_name in page
    assert "Lesson changed" in page
    assert client.post(f"/authoring/{course.id}/history/1/restore").status_code == 302
    draft = services.get_draft(session, course)
    session.expire_all()
    assert draft.dirty
    assert "Khái niệm" in draft.modules[0].lessons[0].body_markdown
    # Learners still see version 2 until the restored draft is published.
    assert session.query(Lesson).filter_by(course_id=course.id).one().body_markdown == "Phiên bản hai"
    version = publishing.publish_draft(session, course, by=author)
    assert version.number == 3
    assert "Khái niệm" in session.query(Lesson).filter_by(course_id=course.id).one().body_markdown


def test_discard_returns_draft_to_published(session: Any, authored: Any, login_as: Any) -> None:
    publishing.publish_draft(session, authored.course, by=authored.author)
    services.add_module(session, services.get_draft(session, authored.course), "Thừa", by=authored.author)
    client = login_as(authored.author)
    assert client.post(f"/authoring/{authored.course.id}/discard").status_code == 302
    session.expire_all()
    draft = services.get_draft(session, authored.course)
    assert [m.title for m in draft.modules] == ["Tổng quan"]
    assert not draft.dirty


def test_imported_course_gets_a_draft_by_post(session: Any, make_user: Any, login_as: Any) -> None:
    from lms.catalog.models import Course, Module

    course = Course(
        slug="nhap", title="Nhập từ tệp", summary="S", topic="other", status="published", version=3
    )
    course.modules.append(Module(key="01-a", title="A", position=1))
    session.add(course)
    session.flush()
    course.modules[0].lessons.append(
        Lesson(key="01-x", title="X", course_id=course.id, body_markdown="Xin chào")
    )
    session.flush()
    admin = make_user("admin")
    client = login_as(admin)
    page = client.get(f"/authoring/{course.id}/").get_data(as_text=True)
    assert services.get_draft(session, course) is None
    assert "/start" in page
    assert client.post(f"/authoring/{course.id}/start").status_code == 302
    draft = services.get_draft(session, course)
    assert draft.base_version == 3
    assert draft.modules[0].lessons[0].body_markdown == "Xin chào"


def test_uploaded_image_reaches_the_learner_lesson_page(
    session: Any, authored: Any, make_user: Any, login_as: Any
) -> None:
    import re

    from tests.authoring.test_editor import PNG

    asset = services.store_image(session, authored.course, PNG, by=authored.author)
    lesson = authored.lesson
    services.save_lesson(session, lesson, title=lesson.title, estimated_minutes=5, required=True,
                         body_markdown=f"![Sơ đồ](../{asset.path})", expected_version=lesson.lock_version,
                         by=authored.author)  # fmt: skip
    publishing.publish_draft(session, authored.course, by=authored.author)
    client = login_as(make_user("learner"))
    slug = authored.course.slug
    client.post(f"/courses/{slug}/enrol")
    page_url = f"/courses/{slug}/learn/{authored.module.key}/{lesson.key}"
    page = client.get(page_url).get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)" alt="Sơ đồ"', page).group(1)
    from urllib.parse import urljoin

    image = client.get(urljoin(f"http://localhost{page_url}", src))
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data == PNG


def test_a_stale_draft_does_not_silently_replace_a_newer_version(
    session: Any, authored: Any, login_as: Any
) -> None:
    publishing.publish_draft(session, authored.course, by=authored.author)
    draft = services.get_draft(session, authored.course)
    draft.base_version = 0  # as if version 1 had been imported from files after the draft began
    services.add_module(session, draft, "Thêm", by=authored.author)
    services.add_lesson(session, draft.modules[-1], "Bài", by=authored.author).body_markdown = "x"
    session.flush()
    client = login_as(authored.author)
    page = client.post(f"/authoring/{authored.course.id}/publish", data={"note": ""}, follow_redirects=True)
    assert "flash-error" in page.get_data(as_text=True)
    session.refresh(authored.course)
    assert authored.course.version == 1
    response = client.post(
        f"/authoring/{authored.course.id}/publish", data={"note": "", "replace_newer": "y"}
    )
    assert response.status_code == 302
    session.refresh(authored.course)
    assert authored.course.version == 2
