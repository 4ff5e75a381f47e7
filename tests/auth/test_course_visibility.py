"""One rule decides who sees a course (``can_view_course``), and every page about the course obeys it.

Before decision 1212 four views had three rules: the course page let enrolled learners into an
archived course but its images and quizzes did not; three let every trainer see drafts, the
authoring image route only the authors. This walks the same matrix over all of them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from lms.catalog.models import CourseAsset, CourseAuthor, CourseStatus
from lms.learning.services import enroll_user
from tests.quizzes.helpers import load_fixture_course, quiz_by_key

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"

# viewer -> statuses in which the viewer sees the course
SEES = {
    "learner": {CourseStatus.PUBLISHED},
    "enrolled": {CourseStatus.PUBLISHED, CourseStatus.ARCHIVED},
    "trainer": {CourseStatus.PUBLISHED},
    "hr": {CourseStatus.PUBLISHED},
    "author": set(CourseStatus),
    "admin": set(CourseStatus),
}


@pytest.fixture
def setup(session: Any, make_user: Any) -> Any:
    course = load_fixture_course(session, slug="visibility")
    session.add(
        CourseAsset(
            course_id=course.id,
            path="media/a.gif",
            content_type="image/gif",
            sha256=hashlib.sha256(GIF).hexdigest(),
            data=GIF,
        )
    )
    viewers = {
        "learner": make_user("learner"),
        "enrolled": make_user("learner"),
        "trainer": make_user("trainer"),
        "hr": make_user("hr"),
        "author": make_user("trainer"),
        "admin": make_user("admin"),
    }
    session.add(CourseAuthor(course_id=course.id, user_id=viewers["author"].id))
    session.flush()
    enroll_user(session, viewers["enrolled"], course)
    session.flush()
    quiz = quiz_by_key(session, course, course.modules[0].key)
    urls = {
        "course page": f"/courses/{course.slug}",
        "lesson image": f"/courses/{course.slug}/assets/media/a.gif",
        "quiz": f"/quizzes/{quiz.id}",
        "course quizzes": f"/quizzes/course/{course.id}",
        "authoring image": f"/authoring/assets/{course.id}/media/a.gif",
    }
    return course, viewers, urls


@pytest.mark.parametrize("status", list(CourseStatus))
def test_every_page_of_a_course_follows_the_one_rule(
    session: Any, login_as: Any, setup: Any, status: str
) -> None:
    course, viewers, urls = setup
    course.status = status
    session.flush()
    wrong = []
    for name, user in viewers.items():
        client = login_as(user)
        for page, url in urls.items():
            code = client.get(url).status_code
            sees = status in SEES[name]
            if (code == 200) != sees or (not sees and code not in (403, 404)):
                wrong.append(f"{status} {name} {page}: {code}")
    assert not wrong, "\n".join(wrong)


def test_no_one_new_enrols_in_an_archived_course(
    session: Any, login_as: Any, setup: Any, make_user: Any
) -> None:
    course, viewers, _urls = setup
    course.status = CourseStatus.ARCHIVED
    session.flush()
    assert login_as(viewers["enrolled"]).post(f"/courses/{course.slug}/enrol").status_code == 403
    assert login_as(make_user("learner")).post(f"/courses/{course.slug}/enrol").status_code == 404
