"""Set-based enqueueing and issuing (decision 1303): same outcome as one at a time, fewer statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms.certificates.models import Certificate
from lms.certificates.services import issue_certificate, issue_certificates
from lms.db import utcnow
from lms.jobs import enqueue, enqueue_many
from lms.jobs.core import PENDING
from lms.jobs.models import Job, JobStatus
from lms.learning.services import enroll_user
from tests.jobs.test_jobs import flaky  # noqa: F401  (registers tests.flaky)
from tests.jobs.test_no_pdf_in_requests import simple_course


def test_enqueue_many_adds_new_keys_finds_existing_and_requeues_failed(session: Any) -> None:
    failed = enqueue(session, "tests.flaky", fail_times=0, key="many-1")
    failed.status = JobStatus.FAILED
    kept = enqueue(session, "tests.flaky", fail_times=0, key="many-2")
    session.flush()
    rows = enqueue_many(session, "tests.flaky", [("many-1", {"fail_times": 0}), ("many-2", {"fail_times": 0}),
                                                 ("many-3", {"fail_times": 1})])  # fmt: skip
    assert [r.key for r in rows] == ["many-1", "many-2", "many-3"]
    assert rows[0].id == failed.id
    assert rows[0].status == JobStatus.QUEUED  # failed → queued again
    assert rows[1].id == kept.id
    assert rows[2].args == {"fail_times": 1}
    assert rows[2].status == JobStatus.QUEUED
    pushed = {job_id for job_id, _ in session.info[PENDING]}
    assert {failed.id, rows[2].id} <= pushed  # both go to the queue after the commit
    assert len(session.scalars(select(Job).where(Job.key.like("many-%"))).all()) == 3


def test_issue_certificates_issues_each_completed_enrolment_once(session: Any, make_user: Any) -> None:
    course = simple_course(session, require_lessons=True)
    people = [make_user() for _ in range(3)]
    enrollments = [enroll_user(session, p, course) for p in people]
    for e in enrollments:
        e.completed_at = utcnow()
    session.flush()
    _first, created = issue_certificate(session, enrollments[0])
    assert created
    new = issue_certificates(session, enrollments)
    assert sorted(c.user_id for c in new) == sorted(p.id for p in people[1:])  # the first already had one
    assert issue_certificates(session, enrollments) == []  # a second time: nothing new
    certs = session.scalars(select(Certificate).where(Certificate.course_id == course.id)).all()
    assert len(certs) == 3
    assert len({c.code for c in certs}) == 3
    assert {c.holder_name for c in new} == {p.full_name for p in people[1:]}
    assert all(c.issue_key == f"enrollment:{c.enrollment_id}" for c in certs)
