"""xAPI statements reach a real LRS (ralph on 127.0.0.1) through the outbox and the job queue."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import socket
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from lms.catalog.models import Lesson
from lms.jobs.core import enqueue, run_job, run_queued
from lms.jobs.models import Job, JobStatus
from lms.learning.models import Enrollment
from lms.learning.services import complete_lesson, enroll_user
from lms.quizzes.models import Attempt, Quiz
from lms.training import services as training
from lms.xapi.models import OutboxStatus, XapiStatement
from lms.xapi.services import PRUNE, SEND
from tests.quizzes.conftest import answer_fields
from tests.quizzes.helpers import load_fixture_course, quiz_by_key
from tests.xapi.lrs import Ralph

ADL = "http://adlnet.gov/expapi/verbs/"


def journey_course(session: Any, slug: str) -> tuple[Any, Any]:
    """The quizzes' fixture course with one lesson in module 1; done = the lesson + module 1's quiz."""
    course = load_fixture_course(session, slug=slug)
    course.require_final_exam = False
    module = course.modules[0]
    module.lessons.append(Lesson(key="bai-1", title="Bài 1: Tổng quan", course_id=course.id))
    for quiz in session.scalars(select(Quiz).where(Quiz.course_id == course.id)):
        quiz.required = quiz.key == module.key
    session.flush()
    return course, quiz_by_key(session, course, module.key)


def take_quiz(client: Any, session: Any, quiz: Any, *, correct: bool) -> Attempt:
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 302
    session.expire_all()
    attempt = session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id).order_by(Attempt.id.desc()).limit(1)
    ).one()
    data: dict[str, Any] = {"base_seq": str(attempt.last_seq), "page": "1", "action": "finish"}
    for entry in attempt.entries:
        data.update(answer_fields(entry, correct=correct))
    assert client.post(f"/quizzes/attempt/{attempt.id}/save", data=data).status_code == 302
    assert client.post(f"/quizzes/attempt/{attempt.id}/submit").status_code == 302
    session.refresh(attempt)
    return attempt


def send_all(app: Any) -> int:
    """Run the waiting send jobs once each (as a consumer would), here."""
    with app.app_context():
        return run_queued(kinds=[SEND], limit=5)


def agent(settings: dict[str, Any], user: Any) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": settings["XAPI_ACCOUNT_HOMEPAGE"], "name": str(user.id)},
    }


def test_a_learners_course_reaches_the_lrs_as_standard_statements(
    app: Any, session: Any, login_as: Any, make_user: Any, xapi: dict[str, Any], ralph: Ralph
) -> None:
    learner = make_user(email="hoc.vien@so.example.vn")
    course, quiz = journey_course(session, "xapi-hanh-trinh")
    lesson = course.modules[0].lessons[0]
    client = login_as(learner)
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 302
    assert client.get(f"/courses/{course.slug}/learn/{course.modules[0].key}/{lesson.key}").status_code == 200
    assert (
        client.post(f"/courses/{course.slug}/learn/{course.modules[0].key}/{lesson.key}/complete").status_code
        == 302
    )
    failed = take_quiz(client, session, quiz, correct=False)
    passed = take_quiz(client, session, quiz, correct=True)
    assert failed.passed is False
    assert passed.passed is True
    enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one()
    assert enrollment.completed_at is not None
    # Nothing is sent by the pages themselves: the statements wait in the outbox for the job.
    waiting = session.scalar(select(func.count()).where(XapiStatement.status == OutboxStatus.PENDING))
    assert ralph.statements(agent=agent(xapi, learner)) == []
    assert send_all(app) >= 1
    assert session.scalar(select(func.count()).where(XapiStatement.status == OutboxStatus.SENT)) == waiting
    got = ralph.statements(agent=agent(xapi, learner), ascending="true")
    assert len(got) == waiting
    verbs = Counter(s["verb"]["id"].rsplit("/", 1)[-1] for s in got)
    n_questions = len(passed.entries)
    assert verbs == {
        "registered": 1, "launched": 1, "completed": 2, "failed": 1, "passed": 1,
        "answered": 2 * n_questions, "earned": 1,
    }  # fmt: skip
    base = xapi["XAPI_ACTIVITY_BASE"]
    course_iri = f"{base}/xapi/courses/{course.slug}"
    by_verb = {s["verb"]["id"]: s for s in got}
    assert by_verb[ADL + "registered"]["object"]["id"] == course_iri
    assert (
        by_verb[ADL + "registered"]["object"]["definition"]["type"]
        == "http://adlnet.gov/expapi/activities/course"
    )
    assert (
        by_verb[ADL + "launched"]["object"]["id"]
        == f"{course_iri}/lessons/{course.modules[0].key}/{lesson.key}"
    )
    completed = [s for s in got if s["verb"]["id"] == ADL + "completed"]
    assert {s["object"]["id"] for s in completed} == {
        f"{course_iri}/lessons/{course.modules[0].key}/{lesson.key}",
        course_iri,
    }
    result = by_verb[ADL + "passed"]
    assert result["object"]["id"] == f"{course_iri}/quizzes/{quiz.key}"
    assert result["result"]["score"]["scaled"] == 1.0
    assert result["result"]["success"] is True
    assert by_verb[ADL + "failed"]["result"]["score"]["scaled"] < quiz.pass_mark / 100
    answers = [s for s in got if s["verb"]["id"] == ADL + "answered"]
    assert {s["result"]["success"] for s in answers} == {True, False}
    assert all(s["result"]["response"] for s in answers)
    assert all(
        s["context"]["contextActivities"]["parent"][0]["id"] == result["object"]["id"] for s in answers
    )
    earned = by_verb["http://id.tincanapi.com/verb/earned"]
    assert earned["object"]["id"] == f"{course_iri}/certificate"
    # One learner, one enrolment: the same actor and registration everywhere; never the e-mail.
    assert all(s["actor"] == agent(xapi, learner) for s in got)
    assert len({s["context"]["registration"] for s in got}) == 1
    assert all(
        s["context"]["contextActivities"]["grouping"][0]["id"] == course_iri
        for s in got
        if s["object"]["id"] != course_iri
    )
    assert "hoc.vien@so.example.vn" not in str(got)


def test_replay_regenerates_history_with_the_same_ids(
    app: Any, session: Any, make_user: Any, make_unit: Any, xapi: dict[str, Any], ralph: Ralph
) -> None:
    with app.app_context():  # services called here, as in a request: the app's xAPI settings apply
        unit = make_unit()
        hr = make_user("admin", unit=unit)
        learner = make_user(unit=unit)
        course, _quiz = journey_course(session, "xapi-phat-lai")
        course.require_attendance = True
        enrollment = enroll_user(session, learner, course)
        complete_lesson(session, enrollment, course.modules[0].lessons[0])
        day = dt.date(2026, 11, 20)
        cls = training.create_class(
            session, course=course, unit=unit, title="Lớp tập trung", place="Hội trường", starts_on=day,
            ends_on=day, trainer="Giảng viên", capacity=10, by=hr,
        )  # fmt: skip
        training.add_to_roster(session, cls, [learner.id], by=hr)
        training.record_attendance(session, cls, day, [], by=hr)
        send_all(app)
        sent = {s["id"] for s in ralph.statements(agent=agent(xapi, learner))}
        verbs = {r.verb for r in session.scalars(select(XapiStatement))}
        assert verbs == {"registered", "completed", "attended"}
        # The outbox is emptied (a new LRS, an old clean-up): replay rebuilds the same statements.
        session.execute(XapiStatement.__table__.delete())
        runner = app.test_cli_runner()
        out = runner.invoke(args=["lms", "xapi", "replay", "--since", "2020-01-01"])
        assert out.exit_code == 0, out.output
        assert "registered: 1" in out.output
        assert "attended: 1" in out.output
        assert {r.statement_id for r in session.scalars(select(XapiStatement))} == sent
        send_all(app)
        assert session.scalar(select(func.count()).where(XapiStatement.status == OutboxStatus.REJECTED)) == 0
        again = ralph.statements(agent=agent(xapi, learner))
        assert sorted(s["id"] for s in again) == sorted(
            sent
        )  # nothing duplicated, nothing refused as different
        # A second replay over sent statements only queues them again (same ids, no new rows).
        before = session.scalar(select(func.count()).select_from(XapiStatement))
        assert runner.invoke(args=["lms", "xapi", "replay", "--since", "2020-01-01"]).exit_code == 0
        assert session.scalar(select(func.count()).select_from(XapiStatement)) == before
        status = runner.invoke(args=["lms", "xapi", "status"])
        assert f"pending: {before}" in status.output  # the replay queued them all again
        sent_now = runner.invoke(args=["lms", "xapi", "send"])
        assert sent_now.exit_code == 0, sent_now.output
        assert f"pending: 0 (failing: 0)  sent: {before}" in sent_now.output
        assert len(ralph.statements(agent=agent(xapi, learner))) == len(sent)
        bad = runner.invoke(args=["lms", "xapi", "replay", "--since", "20/11/2026"])
        assert bad.exit_code != 0
        assert "YYYY-MM-DD" in bad.output


def _dead_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/xAPI"  # nothing listens here once the socket is closed


def test_lrs_down_pages_work_and_statements_arrive_later(
    app: Any,
    session: Any,
    login_as: Any,
    make_user: Any,
    xapi: dict[str, Any],
    ralph: Ralph,
    monkeypatch: Any,
) -> None:
    learner = make_user()
    admin = make_user("admin")
    course, _quiz = journey_course(session, "xapi-mat-ket-noi")
    lesson = course.modules[0].lessons[0]
    monkeypatch.setitem(app.config, "XAPI_ENDPOINT", _dead_endpoint())
    client = login_as(learner)
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 302
    assert (
        client.post(f"/courses/{course.slug}/learn/{course.modules[0].key}/{lesson.key}/complete").status_code
        == 302
    )
    job = session.scalars(select(Job).where(Job.kind == SEND)).one()
    with app.app_context():
        assert run_job(job.id) == JobStatus.RETRYING
    session.expire_all()
    rows = list(session.scalars(select(XapiStatement)))
    assert rows
    assert all(
        r.status == OutboxStatus.PENDING and r.tries == 1 and "ConnectionError" in r.last_error for r in rows
    )
    html = login_as(admin).get("/admin/xapi").get_data(as_text=True)
    assert "ConnectionError" in html
    # The LRS is back: the retry delivers everything, once.
    monkeypatch.setitem(app.config, "XAPI_ENDPOINT", ralph.url)
    with app.app_context():
        assert run_job(job.id) == JobStatus.DONE
    got = ralph.statements(agent=agent(xapi, learner))
    assert sorted(s["id"] for s in got) == sorted(r.statement_id for r in rows)
    # Sending the same batch again is harmless: the LRS keeps one of each.
    session.execute(XapiStatement.__table__.update().values(status=OutboxStatus.PENDING))
    send_all(app)
    assert len(ralph.statements(agent=agent(xapi, learner))) == len(rows)


def test_a_rolled_back_change_leaves_no_statement(
    app: Any, session: Any, make_user: Any, make_course: Any, xapi: Any
) -> None:
    with app.app_context():  # services called here, as in a request: the app's xAPI settings apply
        learner = make_user()
        course = make_course(lessons=1)
        savepoint = session.begin_nested()
        enroll_user(session, learner, course)
        assert session.scalar(select(func.count()).select_from(XapiStatement)) == 1
        savepoint.rollback()
        assert session.scalar(select(func.count()).select_from(XapiStatement)) == 0
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == SEND)) == 0


def test_pseudonymous_learners_are_a_keyed_hash_and_never_their_email(
    app: Any, session: Any, make_user: Any, make_course: Any, xapi: Any, monkeypatch: Any, ralph: Ralph
) -> None:
    with app.app_context():  # services called here, as in a request: the app's xAPI settings apply
        key = "khoa-bi-mat-cua-tinh-0123456789"
        monkeypatch.setitem(app.config, "XAPI_ACTOR", "pseudonymous")
        monkeypatch.setitem(app.config, "XAPI_PSEUDONYM_KEY", key)
        learner = make_user(email="ca.nhan@so.example.vn")
        enroll_user(session, learner, make_course(lessons=1))
        row = session.scalars(select(XapiStatement)).one()
        name = row.statement["actor"]["account"]["name"]
        assert name == hmac.new(key.encode(), f"user:{learner.id}".encode(), hashlib.sha256).hexdigest()
        assert str(learner.id) != name
        assert "ca.nhan" not in str(row.statement)
        send_all(app)
        stored = ralph.statements(agent=row.statement["actor"])
        assert [s["id"] for s in stored] == [row.statement_id]
        # Only when the province configures it is the e-mail the identifier.
        monkeypatch.setitem(app.config, "XAPI_ACTOR", "mbox")
        other = make_user(email="dong.y@so.example.vn")
        enroll_user(session, other, make_course(lessons=1))
        last = session.scalars(select(XapiStatement).order_by(XapiStatement.id.desc()).limit(1)).one()
        assert last.statement["actor"] == {"objectType": "Agent", "mbox": "mailto:dong.y@so.example.vn"}


def test_nothing_is_recorded_without_an_lrs(app: Any, session: Any, make_user: Any, make_course: Any) -> None:
    with app.app_context():  # services called here, as in a request: the app's xAPI settings apply
        enroll_user(session, make_user(), make_course(lessons=1))
        assert session.scalar(select(func.count()).select_from(XapiStatement)) == 0


def test_admin_panel_shows_the_backlog_and_send_now_is_for_admins(
    app: Any, session: Any, login_as: Any, make_user: Any, make_course: Any, xapi: Any
) -> None:
    with app.app_context():
        enroll_user(session, make_user(), make_course(lessons=1))
        session.commit()
    assert session.scalar(select(func.count()).select_from(XapiStatement)) == 1
    admin = make_user("admin")
    html = login_as(admin).get("/admin/xapi").get_data(as_text=True)
    assert xapi["XAPI_ENDPOINT"] in html
    assert re.search(r"Đang chờ gửi</dt><dd>1\b", html)
    response = login_as(admin).post("/admin/xapi/send")
    assert response.status_code == 302
    learner = make_user()
    assert login_as(learner).get("/admin/xapi").status_code == 403
    assert login_as(learner).post("/admin/xapi/send").status_code == 403


def _class_of(
    session: Any, make_user: Any, make_unit: Any, make_course: Any, n: int
) -> tuple[Any, Any, list[Any]]:
    """A course completed by attending its class, a class of n enrolled learners, and its HR officer."""
    unit = make_unit()
    hr = make_user("admin", unit=unit)
    course = make_course(require_attendance=True)
    people = [make_user(unit=unit) for _ in range(n)]
    for person in people:
        enroll_user(session, person, course)
    day = dt.date(2026, 11, 24)
    cls = training.create_class(
        session, course=course, unit=unit, title=f"Lớp {n}", place="Hội trường", starts_on=day, ends_on=day,
        trainer="Giảng viên", capacity=50, by=hr,
    )  # fmt: skip
    training.add_to_roster(session, cls, [p.id for p in people], by=hr)
    return cls, hr, people


def test_a_class_attendance_records_its_statements_set_based(
    app: Any, session: Any, make_user: Any, make_unit: Any, make_course: Any, xapi: Any, count_queries: Any
) -> None:
    """Attendance of a class completes its learners' courses and issues their certificates: attended,
    completed and earned for each, in as many SQL statements for 12 learners as for 3."""
    counts = {}
    with app.app_context():
        for n in (3, 12):
            cls, hr, people = _class_of(session, make_user, make_unit, make_course, n)
            before = session.scalar(select(func.count()).select_from(XapiStatement))
            with count_queries() as q:
                training.record_attendance(session, cls, cls.starts_on, [], by=hr)
            counts[n] = q.count
            new = list(session.scalars(select(XapiStatement).order_by(XapiStatement.id).offset(before)))
            assert Counter(r.verb for r in new) == {"attended": n, "completed": n, "earned": n}
            attended = [r.statement for r in new if r.verb == "attended"]
            assert {s["actor"]["account"]["name"] for s in attended} == {str(p.id) for p in people}
            assert {s["object"]["id"] for s in attended} == {
                f"{xapi['XAPI_ACTIVITY_BASE']}/xapi/classes/{cls.id}"
            }
            assert all(s["context"]["registration"] for s in attended)  # the learners' enrolments
    assert counts[12] == counts[3]


def test_an_assignment_registers_a_whole_unit(
    app: Any, session: Any, make_user: Any, make_unit: Any, make_course: Any, xapi: Any, ralph: Ralph
) -> None:
    with app.app_context():
        unit = make_unit()
        hr = make_user("admin", unit=unit)
        people = [make_user(unit=unit) for _ in range(5)]
        course = make_course(lessons=1)
        training.create_assignment(
            session, course=course, year=2026, due_at=None, unit=unit, owner=unit, by=hr
        )
        rows = list(session.scalars(select(XapiStatement)))
        assert {r.verb for r in rows} == {"registered"}
        assert {r.statement["actor"]["account"]["name"] for r in rows} >= {str(p.id) for p in people}
        send_all(app)
        for person in people:
            [stored] = ralph.statements(agent=agent(xapi, person))
            assert stored["verb"]["id"] == ADL + "registered"


def test_a_statement_the_lrs_refuses_is_set_aside_and_the_rest_go_through(
    app: Any, session: Any, login_as: Any, make_user: Any, make_course: Any, xapi: Any, ralph: Ralph
) -> None:
    learner = make_user()
    with app.app_context():
        enroll_user(session, learner, make_course(lessons=1))
        good = session.scalars(select(XapiStatement)).one()
        broken = dict(
            good.statement, id="0b6f3c2e-5d7a-4c1e-9f00-2a7d3c4b5e6f", verb={"display": {"en-US": "no id"}}
        )
        session.add(XapiStatement(statement_id=broken["id"], verb="broken", statement=broken))
        session.commit()  # into the test's outer transaction, as a view would (the context's session ends here)
        send_all(app)
    rows = {r.verb: r for r in session.scalars(select(XapiStatement))}
    assert rows["registered"].status == OutboxStatus.SENT
    assert rows["broken"].status == OutboxStatus.REJECTED
    assert "HTTP 422" in rows["broken"].last_error  # ralph (FastAPI) answers 422 for an invalid statement
    assert [s["id"] for s in ralph.statements(agent=agent(xapi, learner))] == [good.statement_id]
    admin = login_as(make_user("admin"))
    assert broken["id"] in admin.get("/admin/xapi").get_data(as_text=True)
    assert admin.post("/admin/xapi/send").status_code == 302  # "Send now": the refused one is tried again
    session.refresh(rows["broken"])
    assert rows["broken"].status == OutboxStatus.PENDING


def test_the_daily_prune_drops_only_statements_the_lrs_has_held_for_long(
    app: Any, session: Any, make_user: Any, make_course: Any, xapi: Any, ralph: Ralph
) -> None:
    learners = [make_user() for _ in range(3)]
    course = make_course(lessons=1)
    with app.app_context():
        for learner in learners:
            enroll_user(session, learner, course)
        session.commit()
        send_all(app)
        old, recent, waiting = session.scalars(select(XapiStatement).order_by(XapiStatement.id)).all()
        assert {old.status, recent.status, waiting.status} == {OutboxStatus.SENT}
        now = dt.datetime.now(dt.UTC)
        old.sent_at = now - dt.timedelta(days=31)
        recent.sent_at = now - dt.timedelta(days=29)
        waiting.status, waiting.sent_at = OutboxStatus.PENDING, None  # delivered later, never pruned
        refused = XapiStatement(
            statement_id="5a0c1e7b-3f2d-4b6a-8c9e-0d1f2a3b4c5d", verb="broken", statement={},
            status=OutboxStatus.REJECTED, created_at=now - dt.timedelta(days=90),
        )  # fmt: skip
        session.add(refused)
        session.commit()
        job = enqueue(session, PRUNE)  # what the daily periodic tick queues
        session.commit()
        assert run_job(job.id) == JobStatus.DONE
    left = set(session.scalars(select(XapiStatement.statement_id)))
    assert left == {recent.statement_id, waiting.statement_id, refused.statement_id}
    assert len(ralph.statements(agent=agent(xapi, learners[0]))) == 1  # the LRS keeps the record
