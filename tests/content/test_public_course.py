"""The public citizens' course: visitors read it without an account; nothing else opens for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalog.models import Course
from lms.learning.models import Enrollment
from tests.catalog.helpers import import_dir

ROOT = Path(__file__).resolve().parents[2] / "courses"
PUBLIC = "cong-dan-dien-tu"
STAFF = "dich-vu-cong-truc-tuyen"
FIRST_LESSON = f"/courses/{PUBLIC}/learn/01-tai-khoan-vneid/01-vneid-la-gi"


@pytest.fixture
def courses(session):
    import_dir(session, ROOT)
    return {c.slug: c for c in session.scalars(select(Course))}


def test_the_citizens_course_is_imported_as_public(courses):
    assert courses[PUBLIC].is_public
    assert not courses[STAFF].is_public
    assert [m.key for m in courses[PUBLIC].modules] == [
        "01-tai-khoan-vneid",
        "02-nop-ho-so-va-thanh-toan",
        "03-theo-doi-va-phan-anh",
    ]


def test_a_visitor_reads_every_lesson_of_the_public_course(client, courses):
    page = client.get(f"/courses/{PUBLIC}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Công dân điện tử" in html
    for module in courses[PUBLIC].modules:
        for lesson in module.lessons:
            response = client.get(f"/courses/{PUBLIC}/learn/{module.key}/{lesson.key}")
            assert response.status_code == 200, (module.key, lesson.key)
            assert lesson.title in response.get_data(as_text=True)
    assert "VNeID" in client.get(FIRST_LESSON).get_data(as_text=True)


def test_a_visitor_stores_nothing_and_cannot_enrol(client, session, courses):
    before = session.scalar(select(func.count()).select_from(Enrollment))
    html = client.get(FIRST_LESSON).get_data(as_text=True)
    assert "/complete" not in html  # no "mark as done" form for a visitor
    assert client.post(f"/courses/{PUBLIC}/enrol").status_code in (302, 400, 401, 403)
    assert client.post(f"{FIRST_LESSON}/complete").status_code in (302, 400, 401, 403)
    assert session.scalar(select(func.count()).select_from(Enrollment)) == before


def test_the_catalogue_and_search_show_visitors_the_public_course_only(client, courses):
    assert 'href="/courses/"' in client.get("/login").get_data(as_text=True)  # the way in for citizens
    html = client.get("/courses/").get_data(as_text=True)
    assert f'href="/courses/{PUBLIC}"' in html
    assert f'href="/courses/{STAFF}"' not in html
    found = client.get("/courses/?q=cong+dan").get_data(as_text=True)
    assert f'href="/courses/{PUBLIC}"' in found
    assert "VNeID" in client.get("/courses/?q=vneid").get_data(as_text=True)


def test_staff_courses_still_need_a_login(client, courses):
    for url in (
        f"/courses/{STAFF}",
        f"/courses/{STAFF}/learn/01-khai-niem-va-muc-do/01-dich-vu-cong-truc-tuyen-la-gi",
        f"/courses/{STAFF}/assets/03-quy-trinh-mot-cua/quy-trinh-ho-so-truc-tuyen.svg",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_a_signed_in_learner_takes_the_public_course_like_any_other(session, courses, make_user, login_as):
    learner = make_user()
    client = login_as(learner)
    assert client.post(f"/courses/{PUBLIC}/enrol").status_code == 302
    enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one()
    for module in courses[PUBLIC].modules:
        for lesson in module.lessons:
            client.post(f"/courses/{PUBLIC}/learn/{module.key}/{lesson.key}/complete")
    session.refresh(enrollment)
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is not None
    # The signed-in catalogue lists the staff courses and the public course, not in-person-only ones.
    html = client.get("/courses/").get_data(as_text=True)
    assert f'href="/courses/{STAFF}"' in html
    assert f'href="/courses/{PUBLIC}"' in html
