"""New course (issue 16): the short name comes from the title, the summary is asked at once, and
each module box leads to its quiz."""

from __future__ import annotations

from sqlalchemy import select

from lms.authoring import services
from lms.catalog.models import Course


def test_empty_short_name_is_made_from_the_title_and_summary_is_kept(session, make_user, login_as):
    trainer = make_user("trainer")
    client = login_as(trainer)
    data = {"title": "Chữ ký số cơ bản", "slug": "", "summary": "Dành cho văn thư.", "topic": "other"}
    assert client.post("/authoring/new", data=data).status_code == 302
    again = client.post("/authoring/new", data=data)
    assert again.status_code == 302
    slugs = set(session.scalars(select(Course.slug).where(Course.title == "Chữ ký số cơ bản")))
    assert slugs == {"chu-ky-so-co-ban", "chu-ky-so-co-ban-2"}
    course = session.scalars(select(Course).where(Course.slug == "chu-ky-so-co-ban")).one()
    assert services.get_draft(session, course).summary == "Dành cho văn thư."


def test_summary_is_required_when_creating(make_user, login_as):
    client = login_as(make_user("trainer"))
    response = client.post("/authoring/new", data={"title": "Khoá mới", "slug": "", "topic": "other"})
    assert response.status_code == 200
    assert 'id="summary"' in response.get_data(as_text=True)


def test_module_box_leads_to_its_quiz(session, authored, login_as):
    client = login_as(authored.author)
    url = f"/authoring/{authored.course.id}/"
    add = f"/authoring/{authored.course.id}/quizzes/add/{authored.module.id}"
    html = client.get(url).get_data(as_text=True)
    assert f'action="{add}"' in html  # "Add a quiz to this module" inside the module box
    response = client.post(add)
    assert response.status_code == 302
    quiz_url = response.location
    html = client.get(url).get_data(as_text=True)
    assert f'href="{quiz_url}">Bài kiểm tra mô-đun' in html  # now the box links to the module's quiz
    assert f'action="{add}"' not in html
