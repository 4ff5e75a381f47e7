"""The send job in a real huey consumer (a thread of this process) on a database that really commits:
the LRS is down when the learner studies, the page answers at once, the consumer retries with back-off,
and once the LRS is back the statements arrive, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.auth.models import User
from lms.catalog.models import Course, Lesson, Module
from lms.db import db
from lms.jobs.models import Job, JobStatus
from lms.xapi.models import OutboxStatus, XapiStatement
from lms.xapi.services import SEND
from tests.conftest import login
from tests.jobs.conftest import consumer_thread, wait_until
from tests.xapi.lrs import KEY, SECRET, Ralph
from tests.xapi.test_lrs import _dead_endpoint


def test_statements_wait_for_the_lrs_and_arrive_through_the_consumer(
    committed_app: Any, ralph: Ralph
) -> None:
    app = committed_app()
    base = "http://lms.test/hang-doi-that"
    app.config.update(
        XAPI_ENDPOINT=_dead_endpoint(), XAPI_KEY=KEY, XAPI_SECRET=SECRET, XAPI_ACTIVITY_BASE=base,
        XAPI_ACCOUNT_HOMEPAGE=base, XAPI_SEND_DELAY_SECONDS=0, JOB_RETRY_BASE_SECONDS=0.2,
    )  # fmt: skip
    with app.app_context():
        s = db.session
        course = Course(slug="xapi-that", title="Khoá học thật", status="published", require_quizzes=False,
                        require_final_exam=False)  # fmt: skip
        module = Module(key="m1", title="Mô-đun 1")
        course.modules.append(module)
        s.add(course)
        s.flush()
        module.lessons.append(Lesson(key="l1", title="Bài 1", course_id=course.id))
        user = User(username="hv-xapi", full_name="Trần Thị Học", password_hash="x")
        user.set_roles({"learner"})
        s.add(user)
        s.commit()
        user_id = user.id
    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, user_id))

    def outbox() -> list[tuple[str, int, str]]:
        with app.app_context():
            rows = db.session.execute(
                select(XapiStatement.status, XapiStatement.tries, XapiStatement.verb)
            ).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    def send_jobs() -> list[tuple[str, int]]:
        with app.app_context():
            rows = db.session.execute(select(Job.status, Job.attempts).where(Job.kind == SEND)).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    with consumer_thread(app, workers=2):
        assert client.post("/courses/xapi-that/enrol").status_code == 302
        assert client.post("/courses/xapi-that/learn/m1/l1/complete").status_code == 302  # the LRS is down

        def tried_and_retried() -> bool:
            # A job's attempts count rises when a consumer claims it, before it has tried anything:
            # wait for every statement to have been tried once, and for a job to be on its retries.
            rows = outbox()
            return (
                len(rows) == 4
                and all(tries >= 1 for _status, tries, _verb in rows)
                and any(attempts >= 2 for _status, attempts in send_jobs())
            )

        wait_until(tried_and_retried)  # retried with back-off
        assert all(status == OutboxStatus.PENDING for status, _tries, _verb in outbox())  # none lost
        app.config["XAPI_ENDPOINT"] = ralph.url  # the LRS is back
        wait_until(lambda: all(status == OutboxStatus.SENT for status, _tries, _verb in outbox()))
    assert any(status == JobStatus.DONE for status, _attempts in send_jobs())
    who = {"objectType": "Agent", "account": {"homePage": base, "name": str(user_id)}}
    got = ralph.statements(agent=who)
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in got)
    assert verbs == ["completed", "completed", "earned", "registered"]
    assert sorted(verb for _s, _t, verb in outbox()) == ["completed", "completed", "earned", "registered"]
