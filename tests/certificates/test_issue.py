"""Issuing rules: automatic once, snapshots, expiry, final score, manual, revoke, reissue."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateStatus, IssueSource
from lms.core.models import AuditEvent
from lms.learning.services import refresh_enrollment


def test_completion_issues_one_certificate_with_snapshots(
    session: Any, make_user: Any, make_unit: Any, make_course: Any, complete: Any
) -> None:
    unit = make_unit(name="UBND phường Bãi Cháy")
    learner = make_user(unit=unit, full_name="Trần Văn Nam", job_title="Chuyên viên")
    course = make_course(validity_months=24)
    enrollment = complete(learner, course)
    refresh_enrollment(session, enrollment)  # a second refresh must not issue again
    certs = session.scalars(select(Certificate).where(Certificate.user_id == learner.id)).all()
    assert len(certs) == 1
    cert = certs[0]
    assert (cert.holder_name, cert.job_title, cert.unit_name) == ("Trần Văn Nam", "Chuyên viên", unit.name)
    assert (cert.course_title, cert.course_version, cert.hours) == (course.title, 1, 6.0)
    assert cert.source == IssueSource.AUTO
    assert cert.completed_at == enrollment.completed_at
    assert cert.expires_at is not None
    assert (
        cert.expires_at.year - cert.issued_at.year
    ) * 12 + cert.expires_at.month - cert.issued_at.month == 24
    assert cert.effective_status == CertificateStatus.VALID
    assert not cert.is_rendered  # no signing key configured in this test

    # Later edits never change the issued certificate.
    learner.full_name = "Tên Khác"
    course.title = "Khoá học đã đổi tên"
    unit.name = "Đơn vị đã đổi tên"
    session.flush()
    session.refresh(cert)
    assert (cert.holder_name, cert.course_title, cert.unit_name) == (
        "Trần Văn Nam",
        COURSE,
        "UBND phường Bãi Cháy",
    )

    again, created = services.issue_certificate(session, enrollment)
    assert (again.id, created) == (cert.id, False)


COURSE = "Chữ ký số và liên thông văn bản điện tử"


def test_no_score_without_a_final_exam(session: Any, make_user: Any, make_unit: Any, issued: Any) -> None:
    assert services.final_score(session, None) is None
    assert issued(make_user(unit=make_unit())).score is None


def test_manual_issue_needs_a_reason_and_refuses_a_duplicate(
    session: Any, make_user: Any, make_unit: Any, make_course: Any
) -> None:
    unit = make_unit()
    hr = make_user(Role.HR, scope=unit)
    learner = make_user(unit=unit)
    course = make_course()
    with pytest.raises(services.CertificateError):
        services.issue_manual(session, learner, course, by=hr, reason="  ")
    cert = services.issue_manual(session, learner, course, by=hr, reason="Học trực tiếp tại lớp")
    assert (cert.source, cert.issue_reason, cert.issued_by_id) == ("manual", "Học trực tiếp tại lớp", hr.id)
    with pytest.raises(services.CertificateError):
        services.issue_manual(session, learner, course, by=hr, reason="lần hai")
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject == cert.code)).all()
    assert "certificate.issue" in actions


def test_revoke_and_reissue(session: Any, make_user: Any, make_unit: Any, issued: Any, complete: Any) -> None:
    admin = make_user(Role.ADMIN)
    learner = make_user(unit=make_unit(), full_name="Nguyen Thi Huong")
    old = issued(learner)
    new = services.reissue_certificate(
        session, old, by=admin, reason="Sai chính tả", holder_name="Nguyễn Thị Hương"
    )
    assert old.status == CertificateStatus.SUPERSEDED
    assert old.superseded_by_id == new.id
    assert new.code != old.code
    assert new.holder_name == "Nguyễn Thị Hương"
    assert (new.completed_at, new.expires_at, new.course_title) == (
        old.completed_at,
        old.expires_at,
        old.course_title,
    )
    assert new.issue_key == f"enrollment:{old.enrollment_id}"
    assert old.issue_key is None
    with pytest.raises(services.CertificateError):
        services.reissue_certificate(session, old, by=admin, reason="again")
    # The enrolment still counts as "issued once".
    enrollment = old.enrollment_id
    count = session.scalar(select(func.count()).where(Certificate.enrollment_id == enrollment))
    assert count == 2

    with pytest.raises(services.CertificateError):
        services.revoke_certificate(session, new, by=admin, reason="")
    services.revoke_certificate(session, new, by=admin, reason="Gian lận khi thi")
    assert new.effective_status == CertificateStatus.REVOKED
    assert services.latest_in_chain(session, old).id == new.id
    with pytest.raises(services.CertificateError):
        services.reissue_certificate(session, new, by=admin, reason="Cấp lại sau khi thu hồi")
