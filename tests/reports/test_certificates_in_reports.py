"""Certificates (now installed) appear on the person page, in the certificate export, and by class."""

from __future__ import annotations

import csv
import datetime as dt
import io

from lms.auth.models import Role
from lms.certificates.models import Certificate
from lms.training import services


def make_certificate(session, user, course, code: str) -> Certificate:
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    cert = Certificate(
        code=code, user_id=user.id, course_id=course.id, holder_name=user.full_name,
        course_title=course.title, completed_at=now, issued_at=now,
    )  # fmt: skip
    session.add(cert)
    session.flush()
    return cert


def test_person_page_and_certificate_export(session, make_unit, make_user, make_course, login_as):
    district = make_unit()
    hr = make_user(Role.HR, unit=district, scope=district)
    person = make_user(unit=district, full_name="=cmd|' /C calc'!A0")
    course = make_course(title="Chữ ký số")
    make_certificate(session, person, course, "ABCDEF234567ABCDEF")
    client = login_as(hr)
    page = client.get(f"/reports/people/{person.id}").get_data(as_text=True)
    assert "ABCDEF234567ABCDEF" in page
    assert "Chữ ký số" in page
    dashboard = client.get(f"/reports/units/{district.id}?year=2026").get_data(as_text=True)
    assert "export/certificates.csv" in dashboard
    r = client.get(f"/reports/units/{district.id}/export/certificates.csv?year=2026")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Mã chứng chỉ"
    assert rows[1][0] == "ABCDEF-234567-ABCDEF"  # written as printed on the certificate
    assert rows[1][1].startswith("'=cmd")
    # Another district's officer gets nothing.
    other = make_unit()
    outsider = make_user(Role.HR, unit=other, scope=other)
    assert login_as(outsider).get(f"/reports/people/{person.id}").status_code == 403


def test_certificates_list_filters_by_class(session, make_unit, make_user, make_course):
    from lms.certificates.hooks import holder_filters

    unit = make_unit()
    hr = make_user(Role.HR, unit=unit, scope=unit)
    a, b = make_user(unit=unit), make_user(unit=unit)
    course = make_course()
    day = dt.date(2026, 4, 4)
    cls = services.create_class(
        session, course=course, unit=unit, title="Lớp Vân Đồn", place="P", starts_on=day, ends_on=day,
        trainer="", capacity=5, by=hr,
    )  # fmt: skip
    services.add_to_roster(session, cls, [a.id], by=hr)
    class_filter = next(f for f in holder_filters() if f.name == "class")
    assert session.scalars(class_filter.users_for(session, str(cls.id))).all() == [a.id]
    assert session.scalars(class_filter.users_for(session, "vân Đồn")).all() == [a.id]
    assert b.id not in session.scalars(class_filter.users_for(session, "Lớp")).all()


def test_person_page_shows_quiz_scores(session, make_unit, make_user, make_course, login_as):
    from lms.quizzes.models import Attempt, Quiz

    unit = make_unit()
    hr = make_user(Role.HR, unit=unit, scope=unit)
    person = make_user(unit=unit)
    course = make_course()
    quiz = Quiz(course_id=course.id, key="final", title="Bài kiểm tra cuối khoá")
    session.add(quiz)
    session.flush()
    now = dt.datetime(2026, 6, 2, tzinfo=dt.UTC)
    session.add(
        Attempt(quiz_id=quiz.id, user_id=person.id, number=1, submitted_at=now, percent=86.4, passed=True)
    )
    session.add(
        Attempt(quiz_id=quiz.id, user_id=person.id, number=2, submitted_at=None)
    )  # still open: hidden
    session.flush()
    page = login_as(hr).get(f"/reports/people/{person.id}").get_data(as_text=True)
    assert "Bài kiểm tra cuối khoá" in page
    assert ">86<" in page
    assert page.count("Bài kiểm tra cuối khoá") == 1
