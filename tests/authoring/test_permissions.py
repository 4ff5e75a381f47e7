"""Only the course's authors (trainers) and admins may edit; everyone else gets 403."""

from __future__ import annotations

from typing import Any

import pytest

from lms.authoring import services
from lms.authoring.models import CourseAuthor


def _urls(a: Any) -> list[tuple[str, str]]:
    c, m, les = a.course.id, a.module.id, a.lesson.id
    return [
        ("GET", f"/authoring/{c}/"),
        ("POST", f"/authoring/{c}/"),
        ("GET", f"/authoring/{c}/modules/{m}"),
        ("POST", f"/authoring/{c}/modules"),
        ("POST", f"/authoring/{c}/modules/{m}/move/down"),
        ("POST", f"/authoring/{c}/modules/{m}/delete"),
        ("POST", f"/authoring/{c}/modules/{m}/lessons"),
        ("GET", f"/authoring/{c}/lessons/{les}"),
        ("POST", f"/authoring/{c}/lessons/{les}"),
        ("POST", f"/authoring/{c}/lessons/{les}/preview"),
        ("POST", f"/authoring/{c}/lessons/{les}/move/up"),
        ("POST", f"/authoring/{c}/lessons/{les}/delete"),
        ("GET", f"/authoring/{c}/preview"),
        ("POST", f"/authoring/{c}/publish"),
        ("POST", f"/authoring/{c}/discard"),
        ("GET", f"/authoring/{c}/history"),
        ("POST", f"/authoring/{c}/history/1/restore"),
        ("POST", f"/authoring/{c}/start"),
        ("GET", f"/authoring/{c}/download"),
        ("GET", f"/authoring/{c}/download-draft"),
        ("POST", f"/authoring/{c}/quizzes/add/final"),
        ("GET", f"/authoring/{c}/quizzes"),
    ]


@pytest.mark.parametrize("roles", [("trainer",), ("learner",), ("hr",)])
def test_non_authors_get_403_everywhere(
    authored: Any, make_user: Any, login_as: Any, roles: tuple[str]
) -> None:
    client = login_as(make_user(*roles))
    for method, url in _urls(authored):
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)


def test_author_and_admin_may_open_the_editor(authored: Any, make_user: Any, login_as: Any) -> None:
    for user in (authored.author, make_user("admin")):
        client = login_as(user)
        assert client.get(f"/authoring/{authored.course.id}/").status_code == 200
        assert client.get(f"/authoring/{authored.course.id}/lessons/{authored.lesson.id}").status_code == 200


def test_missing_course_is_404_before_403(make_user: Any, login_as: Any) -> None:
    client = login_as(make_user("learner"))
    assert client.get("/authoring/999999/").status_code == 404


@pytest.mark.parametrize("roles", [("learner",), ("hr",)])
def test_only_trainers_create_courses(make_user: Any, login_as: Any, roles: tuple[str]) -> None:
    client = login_as(make_user(*roles))
    assert client.get("/authoring/").status_code == 403
    assert (
        client.post(
            "/authoring/new", data={"title": "X", "slug": "x", "summary": "Tóm tắt.", "topic": "other"}
        ).status_code
        == 403
    )


def test_a_trainer_who_creates_a_course_becomes_its_author(
    session: Any, make_user: Any, login_as: Any
) -> None:
    trainer = make_user("trainer")
    client = login_as(trainer)
    response = client.post(
        "/authoring/new",
        data={
            "title": "Văn bản điện tử",
            "slug": "van-ban-dt",
            "summary": "Tóm tắt.",
            "topic": "e-documents",
        },
    )
    assert response.status_code == 302
    authors = session.query(CourseAuthor).filter_by(user_id=trainer.id).all()
    assert len(authors) == 1
    assert client.get(response.headers["Location"]).status_code == 200
    assert "Văn bản điện tử" in client.get("/authoring/").get_data(as_text=True)


def test_duplicate_slug_is_refused_with_a_message(authored: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    response = client.post(
        "/authoring/new",
        data={"title": "Khác", "slug": "ky-so-co-ban", "summary": "Tóm tắt.", "topic": "other"},
    )
    assert response.status_code == 200
    assert "Đã có khoá học dùng tên ngắn này." in response.get_data(as_text=True)


def test_admin_assigns_and_removes_authors(
    session: Any, authored: Any, make_user: Any, login_as: Any
) -> None:
    other = make_user("trainer", username="gv-khac")
    client = login_as(other)
    assert client.get(f"/authoring/{authored.course.id}/").status_code == 403
    # A trainer (even an author) cannot assign authors.
    login_as(authored.author)
    assert (
        client.post(f"/authoring/{authored.course.id}/authors", data={"username": "gv-khac"}).status_code
        == 403
    )
    login_as(make_user("admin"))
    assert (
        client.post(f"/authoring/{authored.course.id}/authors", data={"username": "gv-khac"}).status_code
        == 302
    )
    login_as(other)
    assert client.get(f"/authoring/{authored.course.id}/").status_code == 200
    login_as(make_user("admin"))
    client.post(f"/authoring/{authored.course.id}/authors/{other.id}/delete")
    login_as(other)
    assert client.get(f"/authoring/{authored.course.id}/").status_code == 403


def test_learners_cannot_become_authors(session: Any, authored: Any, make_user: Any) -> None:
    with pytest.raises(services.AuthoringError):
        services.add_author(session, authored.course, make_user("learner"), by=make_user("admin"))


def test_nav_shows_authoring_only_to_trainers(authored: Any, make_user: Any, login_as: Any) -> None:
    client = login_as(authored.author)
    assert "/authoring/" in client.get("/courses/").get_data(as_text=True)
    login_as(make_user("learner"))
    assert "/authoring/" not in client.get("/courses/").get_data(as_text=True)
