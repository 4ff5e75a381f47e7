"""The walk learner and the browser login shared by the 320/1280 walk test and scripts/screenshots.py.

``create_walk_learner`` adds a learner to the demo learner's unit who has read the first module of
"Chữ ký số trong công vụ" (its quiz is open); ``login_page`` signs a Playwright page in through the
real login form (any page object with goto/fill/click/wait_for_load_state: no Playwright import here).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.auth.services import create_user
from lms.catalog.models import Course
from lms.learning.models import Enrollment
from lms.learning.services import complete_lesson, enroll_user
from lms.quizzes.models import Quiz

WALK_LEARNER = "ux.walk"
WALK_PASSWORD = "ux.walk@2026"
WALK_COURSE = "chu-ky-so-cong-vu"


def create_walk_learner(
    session: Session, *, username: str = WALK_LEARNER, password: str = WALK_PASSWORD
) -> tuple[User, Enrollment, Quiz]:
    """The learner, their enrolment, and the quiz of the module they have read (flush only)."""
    unit = session.scalars(select(User).where(User.username == "hocvien")).one().org_unit
    user = create_user(session, username=username, full_name="Trần Văn Bình", by=None, org_unit=unit,
                       roles={"learner"}, password=password)  # fmt: skip
    course = session.scalars(select(Course).where(Course.slug == WALK_COURSE)).one()
    enrollment = enroll_user(session, user, course)
    first = course.modules[0]
    for lesson in first.lessons:
        complete_lesson(session, enrollment, lesson)
    quiz = session.scalars(select(Quiz).where(Quiz.module_id == first.id)).one()
    return user, enrollment, quiz


def login_page(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("main form [type=submit]")
    page.wait_for_load_state()
