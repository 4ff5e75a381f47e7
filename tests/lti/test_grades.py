"""AGS: quiz scores and completion reach the platform's gradebook through the job queue; NRPS roster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.jobs import run_queued
from lms.jobs.core import run_job
from lms.jobs.models import Job, JobStatus
from lms.learning.models import Enrollment
from lms.learning.services import complete_lesson
from lms.lti.ags import forget_tokens
from lms.lti.models import GradeSync, Identity
from lms.quizzes import attempts as quiz_attempts
from tests.lti.conftest import TOOL, begin
from tests.lti.platform import Platform
from tests.quizzes.helpers import load_fixture_course, quiz_by_key


def launch(client: Any, platform: Platform, course: Any, link: str, user: str = "stu-1") -> Identity:
    platform.links[link] = {"title": course.title, "url": f"{TOOL}/courses/{course.slug}", "custom": {}}
    hint = {
        "type": "resource",
        "user": user,
        "link": link,
        "target_link_uri": f"{TOOL}/courses/{course.slug}",
    }
    _, state, nonce = begin(client, platform, hint)
    resp = client.post(
        "/lti/launch", data={"id_token": platform.sign(platform.id_token_claims(hint, nonce)), "state": state}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)
    from lms.db import db

    return db.session.scalars(select(Identity).where(Identity.sub == user)).one()


def score_jobs(session: Any) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.kind == "lti.send_score").order_by(Job.id)))


def test_a_quiz_score_goes_to_the_platform_once_and_survives_an_outage(
    app: Any, client: Any, session: Any, platform: Platform, registration: Any
) -> None:
    forget_tokens()
    course = load_fixture_course(session, slug="ags-quiz")
    identity = launch(client, platform, course, "rl-ags-quiz")
    quiz = quiz_by_key(session, course, course.modules[0].key)
    attempt = quiz_attempts.start_attempt(session, quiz, identity.user)
    assert quiz_attempts.submit_attempt(session, attempt)
    jobs = score_jobs(session)
    assert len(jobs) == 1
    assert jobs[0].args["resource_id"] == f"quiz:{course.slug}/{quiz.key}"
    platform.token_outages = 1
    with app.app_context():
        assert run_job(jobs[0].id) == JobStatus.RETRYING  # the platform's token endpoint was down
    session.refresh(jobs[0])
    assert "503" in jobs[0].error
    assert jobs[0].run_after > jobs[0].heartbeat_at  # waits (back-off) before the next attempt
    with app.app_context():
        assert run_job(jobs[0].id) == JobStatus.DONE
    item = next(i for i in platform.lineitems.values() if i["resourceId"] == f"quiz:{course.slug}/{quiz.key}")
    assert item["resourceLinkId"] == "rl-ags-quiz"
    assert item["label"] == quiz.title
    score = platform.scores[item["_n"]][-1]
    assert score["userId"] == "stu-1"
    assert score["scoreGiven"] == attempt.percent
    assert score["gradingProgress"] == "FullyGraded"
    posted = len(platform.scores[item["_n"]])
    # Idempotent: the same grading again queues nothing new, and a second send posts nothing.
    from lms.lti.ags import on_attempt_graded, send_score

    on_attempt_graded(attempt, session=session)
    assert len(score_jobs(session)) == 1
    assert not send_score(session, **jobs[0].args)
    assert len(platform.scores[item["_n"]]) == posted
    assert session.scalars(select(GradeSync)).one().lineitem_url == item["id"]


def test_course_completion_reaches_the_course_line_item_placed_by_deep_linking(
    app: Any, client: Any, session: Any, platform: Platform, registration: Any, make_course: Any
) -> None:
    forget_tokens()
    course = make_course(lessons=1)
    platform.place_link(
        "rl-ags-course",
        {
            "title": course.title,
            "url": f"{TOOL}/courses/{course.slug}",
            "custom": {"target": f"course:{course.slug}"},
            "lineItem": {"scoreMaximum": 100, "label": course.title, "resourceId": f"course:{course.slug}"},
        },
    )
    hint = {
        "type": "resource",
        "user": "stu-1",
        "link": "rl-ags-course",
        "target_link_uri": f"{TOOL}/courses/{course.slug}",
    }
    _, state, nonce = begin(client, platform, hint)
    client.post(
        "/lti/launch", data={"id_token": platform.sign(platform.id_token_claims(hint, nonce)), "state": state}
    )
    identity = session.scalars(select(Identity).where(Identity.sub == "stu-1")).one()
    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.user_id == identity.user_id, Enrollment.course_id == course.id)
    ).one()
    complete_lesson(session, enrollment, course.modules[0].lessons[0])
    assert enrollment.completed_at is not None
    with app.app_context():
        assert run_queued(kinds=["lti.send_score"]) == 1
    lineitem_n = platform.links["rl-ags-course"]["lineitem_id"]
    assert platform.scores[lineitem_n][-1]["scoreGiven"] == 100
    assert platform.scores[lineitem_n][-1]["userId"] == "stu-1"
    assert platform.scores[lineitem_n][-1]["activityProgress"] == "Completed"


def test_the_roster_page_reads_the_platform_members_and_enrols_its_learners(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any, make_user: Any
) -> None:
    forget_tokens()
    course = make_course(lessons=1)
    launch(client, platform, course, "rl-nrps", user="teach-1")
    from lms.lti.models import Link

    link = session.scalars(select(Link).where(Link.resource_link_id == "rl-nrps")).one()
    from tests.conftest import login

    admin = make_user("admin")
    login(client, admin)
    page = client.get(f"/lti/links/{link.id}/members")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert "Trần Văn Học" in html
    assert "Lê Thị Giáo" in html
    assert client.post(f"/lti/links/{link.id}/members/enrol").status_code == 302
    learner = session.scalars(select(Identity).where(Identity.sub == "stu-1")).one()
    assert session.scalar(
        select(Enrollment.id).where(Enrollment.user_id == learner.user_id, Enrollment.course_id == course.id)
    )
    # A trainer who is not an author of the course may not read its roster.
    login(client, make_user("trainer"))
    assert client.get(f"/lti/links/{link.id}/members").status_code == 403


def test_the_roster_page_explains_a_platform_that_does_not_answer(
    client: Any, session: Any, platform: Platform, registration: Any, make_course: Any, make_user: Any
) -> None:
    from lms.lti.models import Link
    from tests.conftest import login

    forget_tokens()
    course = make_course(lessons=1)
    launch(client, platform, course, "rl-nrps-down", user="teach-1")
    link = session.scalars(select(Link).where(Link.resource_link_id == "rl-nrps-down")).one()
    login(client, make_user("admin"))
    platform.token_outages = 1
    page = client.get(f"/lti/links/{link.id}/members").get_data(as_text=True)
    assert "Nền tảng không trả về danh sách thành viên" in page
    assert "Trần Văn Học" not in page
