"""Who may see what: learners' own PDFs, HR scoped to their subtree, ZIP, bulk verify, expiring."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.certificates import services
from lms.certificates.models import Certificate
from lms.db import utcnow


@pytest.fixture
def districts(make_unit: Any, make_user: Any) -> dict[str, Any]:
    province = make_unit(name="Tỉnh")
    a = make_unit(province, name="Huyện A")
    b = make_unit(province, name="Huyện B")
    return {
        "a": a,
        "b": b,
        "a_commune": make_unit(a, name="Xã A1"),
        "b_commune": make_unit(b, name="Xã B1"),
        "hr_a": make_user(Role.HR, Role.LEARNER, unit=a, scope=a),
        "hr_b": make_user(Role.HR, Role.LEARNER, unit=b, scope=b),
    }


def test_learner_sees_and_downloads_only_their_own(
    client: Any, login_as: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    unit = make_unit()
    me, other = make_user(unit=unit), make_user(unit=unit)
    mine = issued(me, fake_pdf=True)
    theirs = issued(other, fake_pdf=True)
    login_as(me)
    page = client.get("/certificates/mine").get_data(as_text=True)
    assert mine.display_code in page
    assert theirs.display_code not in page
    resp = client.get(f"/certificates/{mine.id}/pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert mine.code in resp.get_data(as_text=True)
    assert client.get(f"/certificates/{theirs.id}/pdf").status_code == 403
    assert client.get("/certificates/999999/pdf").status_code == 404
    assert client.get(f"/certificates/{theirs.id}").status_code == 403  # HR pages


def test_holder_cannot_download_a_revoked_certificate(
    client: Any, session: Any, login_as: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    me = make_user(unit=make_unit())
    cert = issued(me, fake_pdf=True)
    services.revoke_certificate(session, cert, by=make_user(Role.ADMIN), reason="Gian lận")
    login_as(me)
    resp = client.get(f"/certificates/{cert.id}/pdf")
    assert resp.status_code == 302
    assert "Tải PDF" not in client.get("/certificates/mine").get_data(as_text=True)


def test_download_waits_for_the_pdf_when_no_signing_key(
    client: Any, login_as: Any, make_user: Any, make_unit: Any, issued: Any
) -> None:
    me = make_user(unit=make_unit())
    cert = issued(me)
    login_as(me)
    resp = client.get(f"/certificates/{cert.id}/pdf")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/certificates/mine")


def test_hr_lists_only_their_subtree(
    client: Any, login_as: Any, make_user: Any, issued: Any, districts: Any
) -> None:
    in_a = issued(make_user(unit=districts["a_commune"]), fake_pdf=True)
    in_b = issued(make_user(unit=districts["b_commune"]), fake_pdf=True)
    login_as(districts["hr_a"])
    page = client.get("/certificates/").get_data(as_text=True)
    assert in_a.display_code in page
    assert in_b.display_code not in page
    assert client.get(f"/certificates/{in_a.id}").status_code == 200
    assert client.get(f"/certificates/{in_b.id}").status_code == 403
    assert client.get(f"/certificates/{in_b.id}/pdf").status_code == 403
    assert client.get(f"/certificates/?unit={districts['b'].code}").status_code == 403
    assert client.post(f"/certificates/{in_b.id}/revoke", data={"revoke-reason": "x"}).status_code == 403


def test_hr_zip_streams_only_their_units(
    client: Any, login_as: Any, make_user: Any, issued: Any, districts: Any, make_course: Any
) -> None:
    course = make_course()
    a1 = issued(make_user(unit=districts["a_commune"]), course, fake_pdf=True)
    a2 = issued(make_user(unit=districts["a"]), course, fake_pdf=True)
    b1 = issued(make_user(unit=districts["b_commune"]), course, fake_pdf=True)
    login_as(districts["hr_a"])
    assert client.get(f"/certificates/export.zip?unit={districts['b'].code}").status_code == 403
    resp = client.get(f"/certificates/export.zip?unit={districts['a'].code}")
    assert resp.status_code == 200
    assert "Content-Length" not in resp.headers  # streamed: the size was not known up front
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as zf:
        names = set(zf.namelist())
        assert names == {f"{a1.display_code}.pdf", f"{a2.display_code}.pdf"}
        assert zf.read(f"{a1.display_code}.pdf").startswith(b"%PDF")
    # By course: still only the officer's subtree.
    with zipfile.ZipFile(
        io.BytesIO(client.get(f"/certificates/export.zip?course={course.id}").get_data())
    ) as zf:
        assert f"{b1.display_code}.pdf" not in zf.namelist()
        assert len(zf.namelist()) == 2


def test_hr_revokes_and_reissues_through_the_pages(
    client: Any, session: Any, login_as: Any, make_user: Any, issued: Any, districts: Any
) -> None:
    learner = make_user(unit=districts["a_commune"], full_name="Nguyen Thi Huong")
    cert = issued(learner)
    login_as(districts["hr_a"])
    resp = client.post(
        f"/certificates/{cert.id}/reissue",
        data={"reissue-reason": "Sai chính tả họ tên", "reissue-holder_name": "Nguyễn Thị Hương"},
    )
    assert resp.status_code == 302
    session.refresh(cert)
    assert cert.status == "superseded"
    new = session.get(Certificate, cert.superseded_by_id)
    assert new.holder_name == "Nguyễn Thị Hương"
    assert client.post(f"/certificates/{new.id}/revoke", data={"revoke-reason": ""}).status_code == 400
    client.post(f"/certificates/{new.id}/revoke", data={"revoke-reason": "Hồ sơ không hợp lệ"})
    session.refresh(new)
    assert new.status == "revoked"
    assert "Hồ sơ không hợp lệ" in client.get(f"/verify/{new.display_code}").get_data(as_text=True)


def test_manual_issue_page(
    client: Any, session: Any, login_as: Any, make_user: Any, districts: Any, make_course: Any
) -> None:
    course = make_course()
    inside = make_user(unit=districts["a_commune"])
    outside = make_user(unit=districts["b_commune"])
    login_as(districts["hr_a"])
    assert client.get("/certificates/issue").status_code == 200
    data = {"username": outside.username, "course_id": course.id, "reason": "Lớp tập trung"}
    assert client.post("/certificates/issue", data=data).status_code == 403
    resp = client.post("/certificates/issue", data={**data, "username": inside.username})
    assert resp.status_code == 302
    cert = session.scalar(select(Certificate).where(Certificate.user_id == inside.id))
    assert (cert.source, cert.issue_reason) == ("manual", "Lớp tập trung")


def test_learner_cannot_use_hr_pages(client: Any, login_as: Any, make_user: Any, make_unit: Any) -> None:
    login_as(make_user(unit=make_unit()))
    for url in (
        "/certificates/",
        "/certificates/bulk-verify",
        "/certificates/expiring",
        "/certificates/issue",
    ):
        assert client.get(url).status_code == 403, url


def test_bulk_verify_table_and_csv(
    client: Any, session: Any, login_as: Any, make_user: Any, issued: Any, districts: Any
) -> None:
    valid = issued(make_user(unit=districts["a_commune"], full_name="Phạm Văn Đức"))
    revoked = issued(make_user(unit=districts["b_commune"]))
    services.revoke_certificate(session, revoked, by=districts["hr_b"], reason="Sai")
    login_as(districts["hr_a"])
    pasted = f"{valid.code.lower()}\n{revoked.display_code}\nKHONG-CO-MA\n"
    page = client.post("/certificates/bulk-verify", data={"codes": pasted, "format": "html"}).get_data(
        as_text=True
    )
    assert "Phạm Văn Đức" in page
    assert page.count("badge-err") == 2  # revoked + not found
    upload = io.BytesIO(f"code\n{valid.display_code}\n".encode())
    resp = client.post("/certificates/bulk-verify", data={"file": (upload, "codes.csv"), "format": "csv"})
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][1] == valid.display_code
    assert rows[1][3] == "Phạm Văn Đức"
    assert len(rows) == 2


def test_expiring_list_and_csv_are_scoped(
    client: Any, session: Any, login_as: Any, make_user: Any, issued: Any, districts: Any
) -> None:
    soon_a = issued(make_user(unit=districts["a_commune"]))
    soon_b = issued(make_user(unit=districts["b_commune"]))
    later_a = issued(make_user(unit=districts["a_commune"]))
    soon_a.expires_at = soon_b.expires_at = utcnow() + dt.timedelta(days=10)
    later_a.expires_at = utcnow() + dt.timedelta(days=400)
    session.flush()
    login_as(districts["hr_a"])
    page = client.get("/certificates/expiring?days=30").get_data(as_text=True)
    assert soon_a.display_code in page
    assert soon_b.display_code not in page
    assert later_a.display_code not in page
    text = client.get("/certificates/expiring?days=30&format=csv").get_data(as_text=True)
    assert soon_a.display_code in text
    assert soon_b.display_code not in text


def test_other_features_can_add_a_holder_filter_for_the_zip(
    client: Any, session: Any, login_as: Any, make_user: Any, issued: Any, districts: Any, monkeypatch: Any
) -> None:
    """E.g. training registers "class" → the ZIP of one class's certificates (still scoped)."""
    from lms.auth.models import User
    from lms.certificates import hooks

    in_class = make_user(unit=districts["a_commune"])
    not_in_class = make_user(unit=districts["a_commune"])
    other_district = make_user(unit=districts["b_commune"])
    members = {"7": [in_class.id, other_district.id]}
    monkeypatch.setattr(hooks.HOLDER_FILTERS, "_items", {})  # only this test's filter
    hooks.register_holder_filter(
        "class", "Lớp", lambda session, value: select(User.id).where(User.id.in_(members.get(value, [])))
    )
    wanted = issued(in_class, fake_pdf=True)
    issued(not_in_class, fake_pdf=True)
    issued(other_district, fake_pdf=True)
    login_as(districts["hr_a"])
    assert 'name="class"' in client.get("/certificates/").get_data(as_text=True)
    resp = client.get("/certificates/export.zip?class=7")
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as zf:
        assert zf.namelist() == [f"{wanted.display_code}.pdf"]


def test_trainer_issues_manually_with_a_reason(
    client: Any, session: Any, login_as: Any, make_user: Any, make_unit: Any, make_course: Any
) -> None:
    from lms.catalog.models import CourseAuthor
    from lms.learning.services import enroll_user

    course = make_course()
    learner = make_user(unit=make_unit())
    trainer = make_user(Role.TRAINER)
    session.add(CourseAuthor(course_id=course.id, user_id=trainer.id))  # the trainer's own course
    enroll_user(session, learner, course)  # and one of its learners
    login_as(trainer)
    assert "/certificates/issue" in client.get("/").get_data(as_text=True)  # in the menu
    assert client.get("/certificates/").status_code == 403  # but not HR's list
    data = {"username": learner.username, "course_id": course.id, "reason": ""}
    assert client.post("/certificates/issue", data=data).status_code == 200  # form shown again
    assert session.scalar(select(Certificate).where(Certificate.user_id == learner.id)) is None
    resp = client.post("/certificates/issue", data={**data, "reason": "Hoàn thành lớp học trực tiếp"})
    cert = session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert cert.issued_by_id == trainer.id
    assert resp.headers["Location"].endswith(f"/verify/{cert.display_code}")
