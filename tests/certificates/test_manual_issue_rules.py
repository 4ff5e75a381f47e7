"""Manual issue (issue 14, items 1 and 2): who may issue to whom, for which course, and the audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.catalog.models import Course, CourseAuthor, CourseStatus
from lms.certificates.models import Certificate
from lms.core.models import AuditEvent
from lms.learning.services import enroll_user


@pytest.fixture
def province(make_unit: Any) -> dict[str, Any]:
    top = make_unit(name="Tỉnh")
    a = make_unit(top, name="Huyện A")
    b = make_unit(top, name="Huyện B")
    return {"a": a, "b": b}


def _author(session: Any, trainer: Any, course: Course) -> None:
    session.add(CourseAuthor(course_id=course.id, user_id=trainer.id))
    session.flush()


def _certs(session: Any, user: Any) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user.id)))


def test_trainer_cannot_issue_to_a_stranger_for_a_course_they_do_not_teach(
    client: Any, session: Any, login_as: Any, make_user: Any, province: Any, make_course: Any
) -> None:
    theirs, other_course = make_course(), make_course("Khoá học khác")
    trainer = make_user(Role.TRAINER, unit=province["a"])
    _author(session, trainer, theirs)
    stranger = make_user(unit=province["b"])  # another district, never enrolled
    login_as(trainer)
    for course in (theirs, other_course):
        data = {"username": stranger.username, "course_id": course.id, "reason": "Cho có"}
        assert client.post("/certificates/issue", data=data).status_code in (200, 403)
    assert _certs(session, stranger) == []
    # The picker offers only the trainer's own (published) courses.
    page = client.get("/certificates/issue").get_data(as_text=True)
    assert f'value="{theirs.id}"' in page
    assert f'value="{other_course.id}"' not in page


def test_trainer_issues_for_a_learner_of_their_course_and_it_is_audited(
    client: Any, session: Any, login_as: Any, make_user: Any, province: Any, make_course: Any
) -> None:
    course = make_course()
    trainer = make_user(Role.TRAINER, unit=province["a"])
    _author(session, trainer, course)
    learner = make_user(unit=province["b"])
    enroll_user(session, learner, course)  # e.g. on the roster of the trainer's class
    login_as(trainer)
    data = {"username": learner.username, "course_id": course.id, "reason": "Hoàn thành lớp tập trung"}
    assert client.post("/certificates/issue", data=data).status_code == 302
    [cert] = _certs(session, learner)
    assert (cert.source, cert.issued_by_id) == ("manual", trainer.id)
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "certificate.issue", AuditEvent.subject == cert.code)
    )
    assert event.actor_id == trainer.id
    assert event.details["authority"] == "trainer-course"
    assert event.details["reason"] == "Hoàn thành lớp tập trung"
    assert event.details["course"] == course.id
    assert event.details["unit"] == province["b"].code


def test_hr_issues_only_within_scope_and_admin_anywhere(
    client: Any, session: Any, login_as: Any, make_user: Any, province: Any, make_course: Any
) -> None:
    course = make_course()
    hr_trainer = make_user(Role.HR, Role.TRAINER, scope=province["a"], unit=province["a"])
    outside = make_user(unit=province["b"])
    login_as(hr_trainer)  # being a trainer too gives no authority outside the scope
    data = {"username": outside.username, "course_id": course.id, "reason": "Lớp tập trung"}
    assert client.post("/certificates/issue", data=data).status_code == 403
    assert _certs(session, outside) == []
    login_as(make_user(Role.ADMIN))
    assert client.post("/certificates/issue", data=data).status_code == 302
    assert len(_certs(session, outside)) == 1


def test_draft_course_cannot_be_certified(
    client: Any, session: Any, login_as: Any, make_user: Any, province: Any, make_course: Any
) -> None:
    draft = make_course("Bản nháp chưa xuất bản")
    draft.status, draft.version = CourseStatus.DRAFT, 0
    session.flush()
    learner = make_user(unit=province["a"])
    login_as(make_user(Role.ADMIN))
    page = client.get("/certificates/issue").get_data(as_text=True)
    assert "Bản nháp chưa xuất bản" not in page
    data = {"username": learner.username, "course_id": draft.id, "reason": "Thử"}
    client.post("/certificates/issue", data=data)
    assert _certs(session, learner) == []
    from lms.certificates import services

    with pytest.raises(services.CertificateError):
        services.issue_manual(session, learner, draft, by=make_user(Role.ADMIN), reason="Thử")
