"""LTI 1.3 in Chromium: a platform teacher deep-links one of our quizzes; a platform learner launches it
inside the platform's iframe, takes it, and the score shows in the platform's gradebook (AGS via the
live server's job consumer). The platform is tests/lti/platform.py on 127.0.0.1."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from lms.db import db
from lms.lti.models import Deployment, Identity
from lms.lti.models import Platform as PlatformRow
from lms.quizzes.models import Attempt
from tests.lti.platform import Platform
from tests.quizzes.helpers import load_fixture_course, quiz_by_key

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lti_platform(live_server: str, live_app: Any) -> Iterator[Platform]:
    platform = Platform()
    platform.start()
    platform.tool.login_url = f"{live_server}/lti/login"
    platform.tool.redirect_uris = [f"{live_server}/lti/launch"]
    platform.tool.jwks_url = f"{live_server}/lti/jwks.json"  # fetched over HTTP, as Moodle's "Keyset URL"
    platform.tool.deep_link_url = f"{live_server}/lti/launch"
    with live_app.app_context():
        db.session.add(
            PlatformRow(
                name="Moodle thử nghiệm",
                issuer=platform.issuer,
                client_id=platform.tool.client_id,
                auth_login_url=f"{platform.base_url}/auth",
                access_token_url=f"{platform.base_url}/token",
                jwks_url=f"{platform.base_url}/jwks",
                deployments=[Deployment(deployment_id=platform.tool.deployment_id)],
            )
        )
        db.session.commit()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def lti_course(live_app: Any) -> dict[str, Any]:
    with live_app.app_context():
        course = load_fixture_course(db.session, slug=f"lti-{uuid.uuid4().hex[:6]}")
        course.require_quizzes = False  # module quizzes open to an enrolled learner (no lessons here)
        quiz = quiz_by_key(db.session, course, "01-tong-quan")
        db.session.commit()
        return {"slug": course.slug, "quiz_id": quiz.id, "quiz_title": quiz.title}


def wait_for(predicate: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met before the deadline")


def test_teacher_deep_links_a_quiz_and_a_learner_takes_it_in_the_iframe_and_gets_a_grade(
    page: Any, live_server: str, live_app: Any, lti_platform: Platform, lti_course: dict[str, Any]
) -> None:
    title = lti_course["quiz_title"]
    # The platform's teacher adds content from the tool: our picker opens in the platform's iframe.
    page.goto(f"{lti_platform.base_url}/course?user=teach-1")
    page.get_by_role("button", name="Thêm nội dung từ công cụ").click()
    frame = page.frame_locator("#tool-frame")
    frame.get_by_role("heading", name="Chọn nội dung cho khoá học của bạn").wait_for()
    value = f"quiz:{lti_course['slug']}/01-tong-quan"
    frame.locator(f"input[name=item][value='{value}']").check()
    frame.get_by_role("button", name="Thêm vào khoá học của tôi").click()
    # lti-autosubmit.js posts the signed response back; the platform verified it with our JWKS.
    frame.get_by_role("heading", name=f"Đã thêm: {title}").wait_for()
    assert len(lti_platform.deep_link_responses) == 1

    # A platform learner opens the placed link: launched inside the iframe, straight onto the quiz.
    page.context.clear_cookies()
    page.goto(f"{lti_platform.base_url}/course?user=stu-1")
    page.get_by_role("button", name=f"Mở: {title}").click()
    frame = page.frame_locator("#tool-frame")
    frame.get_by_role("button", name="Bắt đầu làm bài").click()
    first = frame.locator("fieldset.question").first
    first.wait_for()
    radios = first.locator("input[type=radio]")
    if radios.count():
        radios.first.check()
    frame.get_by_role("button", name="Nộp bài…").click()
    frame.get_by_role("button", name="Nộp bài ngay").click()
    frame.get_by_text("Kết quả").first.wait_for()

    with live_app.app_context():
        user_id = db.session.scalars(select(Identity.user_id).where(Identity.sub == "stu-1")).one()
        percent = db.session.scalars(
            select(Attempt.percent).where(
                Attempt.quiz_id == lti_course["quiz_id"], Attempt.user_id == user_id
            )
        ).one()
    # The job consumer next to the live server sends the score; the platform's gradebook shows it.
    score = wait_for(lambda: lti_platform.latest_scores().get((title, "stu-1")))
    assert score["scoreGiven"] == percent
    assert score["scoreMaximum"] == 100
    gradebook = requests.get(f"{lti_platform.base_url}/gradebook", timeout=10).text
    assert f"<td>{title}</td><td>stu-1</td><td>{score['scoreGiven']}/100</td>" in gradebook
    page.goto(f"{lti_platform.base_url}/gradebook")
    expect(page.locator("#grades").get_by_text(title)).to_be_visible()
