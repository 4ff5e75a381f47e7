"""Notification e-mails through the job queue to a real SMTP server on 127.0.0.1 (issue 16)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from lms.db import utcnow
from lms.jobs import enqueue, run_queued
from lms.jobs.core import run_job
from lms.jobs.models import Job, JobStatus
from lms.training.models import NoticeMail
from lms.training.notice_mail import SEND_NOTICES, queue_notice_mails
from tests.training.test_notices import enrol


def bodies(msg: Any) -> tuple[str, str]:
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def queue(app: Any, session: Any) -> int:
    with app.app_context():  # the job's way: queue, then commit (the test's outer transaction stays)
        queued = queue_notice_mails(session, utcnow())
        session.commit()
        return queued


def run_all(app: Any) -> None:
    with app.app_context():
        run_queued(kinds=[SEND_NOTICES, "mail.send"], limit=50)


def test_notices_are_mailed_once_in_the_learners_language(
    app: Any, session: Any, smtp: Any, make_user: Any, make_course: Any, count_queries: Any
) -> None:
    now = utcnow()
    hoa = make_user(email="hoa@xa-binh-an.test", full_name="Nguyễn Thị Hoa")
    john = make_user(email="john@example.test", full_name="John Smith", locale="en")
    nobody = make_user(email=None)  # no address: nothing to send
    signing = make_course(title="Chữ ký số cơ bản")
    enrol(session, hoa, signing, due=now + dt.timedelta(hours=20))  # assigned today, due tomorrow
    enrol(session, john, signing, due=now - dt.timedelta(days=3), enrolled=now - dt.timedelta(days=40))
    enrol(session, nobody, signing, due=now - dt.timedelta(days=3))

    enqueue(session, SEND_NOTICES)  # the periodic run, as the consumer would start it
    run_all(app)
    got = smtp.messages
    assert sorted(m["To"] for m in got) == ["hoa@xa-binh-an.test", "hoa@xa-binh-an.test", "john@example.test"]
    subjects = {m["Subject"] for m in got}
    assert "Bạn được giao khoá học mới: Chữ ký số cơ bản, hạn " + subjects_date(got, "Bạn được") in subjects
    assert any(s.startswith("Hạn hoàn thành") and s.endswith("Chữ ký số cơ bản") for s in subjects)
    assert any(
        s.startswith("Overdue since") and s.endswith("Chữ ký số cơ bản") for s in subjects
    )  # his language
    for msg in got:
        assert msg["From"] == "hoc-truc-tuyen@lms.test"
        assert msg["List-Unsubscribe"] == "<http://lms.test/training/notifications/email>"
        text, html = bodies(msg)
        assert "http://lms.test/training/notifications/email" in text
        assert 'href="http://lms.test/training/notifications/email"' in html
        assert f"http://lms.test/courses/{signing.slug}" in text
    hoa_text, _ = bodies(next(m for m in got if m["To"] == "hoa@xa-binh-an.test"))
    assert hoa_text.startswith("Kính gửi Nguyễn Thị Hoa,")

    # A second periodic run (or the same job retried) sends nothing again.
    with count_queries() as counter:
        assert queue(app, session) == 0
    first_count = counter.count
    enqueue(session, SEND_NOTICES, key="second-run")
    run_all(app)
    assert len(smtp.messages) == 3
    assert session.scalar(select(NoticeMail.id).where(NoticeMail.user_id == nobody.id)) is None

    # More people with notices: the same number of statements for 6 messages as for 12.
    counts = []
    for batch in (range(5), range(5, 17)):
        for i in batch:
            extra = make_user(email=f"can-bo-{i}@xa.test")
            enrol(
                session, extra, signing, due=now - dt.timedelta(days=2), enrolled=now - dt.timedelta(days=40)
            )
        with count_queries() as counter:
            assert queue(app, session) == len(batch)
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[0] <= first_count + 4  # + the mail rows' INSERT, and the jobs' SELECT, INSERT, read-back


def subjects_date(messages: list[Any], prefix: str) -> str:
    subject = next(m["Subject"] for m in messages if m["Subject"].startswith(prefix))
    return subject.rsplit(", hạn ", 1)[1]


def test_smtp_down_the_mail_is_retried_and_delivered_once(
    app: Any, session: Any, smtp: Any, make_user: Any, make_course: Any
) -> None:
    learner = make_user(email="lan@xa.test")
    course = make_course(title="An toàn thông tin")
    enrol(
        session,
        learner,
        course,
        due=utcnow() - dt.timedelta(days=1),
        enrolled=utcnow() - dt.timedelta(days=40),
    )
    smtp.stop()
    assert queue(app, session) == 1
    mail = session.scalar(select(Job).where(Job.kind == "mail.send", Job.key.like(f"notice:{learner.id}:%")))
    with app.app_context():
        assert run_job(mail.id) == JobStatus.RETRYING  # connection refused
    session.refresh(mail)
    assert "Connection refused" in (mail.error or "") or "Errno" in (mail.error or "")
    assert smtp.messages == []
    smtp.start()
    with app.app_context():
        assert run_job(mail.id) == JobStatus.DONE
        assert run_job(mail.id) == "skipped"  # a duplicate queue message sends nothing
    assert [m["Subject"] for m in smtp.messages] == [mail.args["subject"]]
    assert queue(app, session) == 0


def test_settings_page_turns_kinds_off(
    app: Any, session: Any, smtp: Any, make_user: Any, make_course: Any, login_as: Any
) -> None:
    learner = make_user(email="minh@xa.test")
    course = make_course(title="Dịch vụ công trực tuyến")
    enrol(session, learner, course, due=utcnow() - dt.timedelta(days=1))  # new assignment + overdue
    client = login_as(learner)
    page = client.get("/training/notifications/email").get_data(as_text=True)
    assert page.count("checked") == 6  # every kind by default
    resp = client.post("/training/notifications/email", data={"kinds": ["overdue", "certificate"]})
    assert resp.status_code == 302
    page = client.get("/training/notifications/email").get_data(as_text=True)
    assert page.count("checked") == 2
    assert queue(app, session) == 1
    run_all(app)
    assert [m["Subject"].startswith("Quá hạn từ") for m in smtp.messages] == [True]


def test_nothing_is_queued_without_smtp(app: Any, session: Any, make_user: Any, make_course: Any) -> None:
    learner = make_user(email="an@xa.test")
    enrol(session, learner, make_course(), due=utcnow() - dt.timedelta(days=1))
    assert app.config["SMTP_HOST"] == ""
    assert queue(app, session) == 0
    assert session.scalar(select(NoticeMail.id).where(NoticeMail.user_id == learner.id)) is None
