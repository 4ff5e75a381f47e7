"""People and unit import: encodings, XLSX, preview errors, all-or-nothing, matching, scope, chunks."""

from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.org.models import OrgUnit
from lms.training import importer
from lms.training.models import ImportIssue, ImportJob, ImportStatus

HEADER = "Họ tên,Email,Tên đăng nhập,Mã đơn vị,Chức danh,Trình độ CNTT\n"


@pytest.fixture
def tree(make_unit):
    province = make_unit(name="Tỉnh")
    district = make_unit(province, name="Huyện A")
    commune = make_unit(district, name="Xã A1")
    other = make_unit(province, name="Huyện B")
    return province, district, commune, other


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


def run(
    session, app, content: bytes, *, by, scope=None, kind="people", deactivate=False, step=1000
) -> ImportJob:
    job = importer.start_import(
        session,
        kind=kind,
        filename="people.csv",
        upload=io.BytesIO(content),
        directory=__import__("pathlib").Path(app.instance_path) / "imports",
        by=by,
        scope=scope,
        deactivate_missing=deactivate,
    )
    while job.status == ImportStatus.VALIDATING:
        importer.validate_step(session, job, max_rows=step)
    return job


TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Encode like Windows-1258: base letters precomposed, tone marks as combining characters."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out.append((base + "".join(c for c in parts if c in TONES)).encode("cp1258"))
    return b"".join(out)


def issues(session, job):
    return [
        (i.row_no, i.column, importer.issue_message(i))
        for i in session.scalars(
            select(ImportIssue).where(ImportIssue.job_id == job.id).order_by(ImportIssue.row_no)
        )
    ]


def people_csv(tree, rows=None) -> str:
    _p, _d, commune, _o = tree
    rows = rows or [
        f"Nguyễn Văn An,an@x.vn,,{commune.code},Chuyên viên,đại học",
        f"Trần Thị Bình,binh@x.vn,binh,{commune.code},Văn thư,Trung cấp",
    ]
    return HEADER + "\n".join(rows) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
def test_csv_encodings_are_detected_and_people_created(app, session, tree, admin, encoding):
    text = people_csv(tree)
    # Windows-1258 stores Vietnamese in decomposed form; the import normalises to NFC.
    data = to_cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    job = run(session, app, data, by=admin)
    assert job.encoding == encoding if encoding != "utf-16" else job.encoding == "utf-16"
    assert issues(session, job) == []
    assert job.status == ImportStatus.READY
    assert session.scalar(select(func.count()).where(User.email == "an@x.vn")) == 0  # preview writes nothing
    summary = importer.commit_import(session, job, by=admin)
    assert summary == {"created": 2, "updated": 0, "deactivated": 0}
    an = session.scalars(select(User).where(User.email == "an@x.vn")).one()
    assert an.full_name == "Nguyễn Văn An"
    assert an.org_unit_id == tree[2].id
    assert an.it_qualification == "bachelor"
    assert an.roles == {"learner"}
    binh = session.scalars(select(User).where(User.username == "binh")).one()
    assert binh.it_qualification == "intermediate"


def test_xlsx_import(app, session, tree, admin):
    wb = Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Email", "Mã đơn vị", "Trình độ CNTT"])
    ws.append(["Lê Văn Cường", "cuong@x.vn", tree[2].code, "thạc sĩ"])
    buf = io.BytesIO()
    wb.save(buf)
    job = run(session, app, buf.getvalue(), by=admin)
    assert job.encoding == "xlsx"
    assert issues(session, job) == []
    importer.commit_import(session, job, by=admin)
    assert session.scalars(select(User).where(User.email == "cuong@x.vn")).one().it_qualification == "master"


def test_preview_lists_every_rows_errors_in_vietnamese_and_writes_nothing(app, session, tree, admin):
    commune = tree[2]
    text = people_csv(
        tree,
        [
            f"Đúng Người,dung@x.vn,,{commune.code},,",
            f"Người Thừa Ô,thua@x.vn,,{commune.code},,,extra",  # ragged row
            "Không Đơn Vị,khong@x.vn,,XX-999,,",  # unknown unit
            f"Trùng Lặp,dung@x.vn,,{commune.code},,",  # duplicate e-mail
            f",,,{commune.code},,tiến sĩ",  # no name, no login, bad qualification
        ],
    )
    job = run(session, app, text.encode(), by=admin)
    assert job.status == ImportStatus.INVALID
    found = issues(session, job)
    rows = {(r, c) for r, c, _m in found}
    assert (3, "") in rows
    assert (4, "unit_code") in rows
    assert (5, "email") in rows
    assert {(6, "full_name"), (6, "email"), (6, "it_qualification")} <= rows
    with app.test_request_context():  # shown in the reader's language (Vietnamese by default)
        messages = {(r, c): m for r, c, m in issues(session, job)}
    assert messages[(4, "unit_code")] == "Không có đơn vị nào mã XX-999."
    assert messages[(5, "email")] == "Trùng người với dòng 2."
    with pytest.raises(ValueError, match="only a validated import"):
        importer.commit_import(session, job, by=admin)
    assert session.scalar(select(func.count()).where(User.email == "dung@x.vn")) == 0


def test_duplicates_are_found_across_validation_steps(app, session, tree, admin):
    commune = tree[2]
    rows = [f"Người {i},p{i}@x.vn,,{commune.code},," for i in range(7)] + [f"Lặp,p1@x.vn,,{commune.code},,"]
    job = run(session, app, people_csv(tree, rows).encode(), by=admin, step=3)
    assert [(r, c) for r, c, _m in issues(session, job)] == [(9, "email")]


def test_existing_people_are_matched_by_email_or_username_and_updated(app, session, tree, admin, make_user):
    district, commune = tree[1], tree[2]
    by_email = make_user(unit=district, email="an@x.vn", username="an.old", full_name="Cũ")
    by_name = make_user(unit=district, email="other@x.vn", username="binh")
    job = run(session, app, people_csv(tree).encode(), by=admin)
    assert job.status == ImportStatus.READY
    assert importer.commit_import(session, job, by=admin)["updated"] == 2
    session.refresh(by_email)
    session.refresh(by_name)
    assert (by_email.full_name, by_email.org_unit_id, by_email.username) == (
        "Nguyễn Văn An",
        commune.id,
        "an.old",
    )
    assert by_name.email == "binh@x.vn"
    assert by_name.job_title == "Văn thư"


def test_deactivate_missing_people_only_in_scope(app, session, tree, make_user):
    _p, district, commune, other = tree
    hr = make_user(Role.HR, unit=district, scope=district)
    stays = make_user(unit=commune, email="an@x.vn")
    missing = make_user(unit=commune)
    elsewhere = make_user(unit=other)
    job = run(session, app, people_csv(tree).encode(), by=hr, scope=district, deactivate=True)
    assert importer.commit_import(session, job, by=hr)["deactivated"] == 1
    for u in (stays, missing, elsewhere, hr):
        session.refresh(u)
    assert stays.is_active
    assert not missing.is_active
    assert elsewhere.is_active
    assert hr.is_active


def test_hr_cannot_import_outside_their_subtree(app, session, tree, make_user):
    _p, district, _c, other = tree
    hr = make_user(Role.HR, unit=district, scope=district)
    outsider = make_user(unit=other, email="ngoai@x.vn")
    text = HEADER + f"Ngoài Phạm Vi,x@x.vn,,{other.code},,\nNgười Khác,ngoai@x.vn,,{district.code},,\n"
    job = run(session, app, text.encode(), by=hr, scope=district)
    codes = [(r, c) for r, c, _m in issues(session, job)]
    assert codes == [(2, "unit_code"), (3, "email")]
    assert outsider.org_unit_id == other.id


def test_formula_like_name_is_stored_as_text(app, session, tree, admin):
    text = HEADER + f'"=HYPERLINK(""x"")",f@x.vn,,{tree[2].code},,\n'
    job = run(session, app, text.encode(), by=admin)
    importer.commit_import(session, job, by=admin)
    assert session.scalars(select(User.full_name).where(User.email == "f@x.vn")).one() == '=HYPERLINK("x")'


def test_control_characters_in_cells_are_dropped_not_stored(app, session, tree, admin):
    # A NUL or a vertical tab pasted into a cell: PostgreSQL refuses NUL in text, so before this the
    # commit answered 500 there. The cell is read as the words around it.
    text = HEADER + f"Lê\x00Văn\x0bCường,\x00cuong@x.vn,,{tree[2].code},Chuyên\x7fviên,\n"
    job = run(session, app, text.encode(), by=admin)
    assert issues(session, job) == []
    importer.commit_import(session, job, by=admin)
    session.flush()
    person = session.scalars(select(User).where(User.email == "cuong@x.vn")).one()
    assert (person.full_name, person.job_title) == ("Lê Văn Cường", "Chuyên viên")


def test_missing_required_column_rejects_file(app, session, tree, admin):
    job = run(session, app, b"Email,Chuc danh\na@x.vn,CV\n", by=admin)
    assert job.status == ImportStatus.INVALID
    assert [(r, c) for r, c, _m in issues(session, job)] == [(1, "full_name"), (1, "unit_code")]


def test_units_import_creates_tree_and_respects_scope(app, session, tree, make_user):
    _p, district, _c, other = tree
    hr = make_user(Role.HR, unit=district, scope=district)
    text = (
        "Mã,Tên,Mã đơn vị cha,Loại,Vùng sâu vùng xa\n"
        f"X-NEW,Xã Mới,{district.code},xã,có\n"
        "X-NEW-P,Phòng Văn hoá,X-NEW,phòng,không\n"
    )
    job = run(session, app, text.encode(), by=hr, scope=district, kind="units")
    assert issues(session, job) == []
    importer.commit_import(session, job, by=hr)
    new = session.scalars(select(OrgUnit).where(OrgUnit.code == "X-NEW")).one()
    child = session.scalars(select(OrgUnit).where(OrgUnit.code == "X-NEW-P")).one()
    assert new.is_remote
    assert new.kind == "commune"
    assert new.path.startswith(district.path)
    assert child.parent_id == new.id
    assert not child.is_remote
    bad = run(
        session,
        app,
        f"Mã,Tên,Mã đơn vị cha\nY,Y,{other.code}\n".encode(),
        by=hr,
        scope=district,
        kind="units",
    )
    assert [(r, c) for r, c, _m in issues(session, bad)] == [(2, "parent_code")]


def test_new_people_get_open_assignments(app, session, tree, admin, make_course):
    from lms.learning.models import Enrollment
    from lms.training.services import create_assignment

    course = make_course()
    create_assignment(session, course=course, year=2026, due_at=None, unit=tree[1], owner=tree[1], by=admin)
    job = run(session, app, people_csv(tree).encode(), by=admin)
    importer.commit_import(session, job, by=admin)
    an = session.scalars(select(User).where(User.email == "an@x.vn")).one()
    assert session.scalars(select(Enrollment.source).where(Enrollment.user_id == an.id)).all() == ["assigned"]


def test_web_flow_preview_then_commit(app, session, tree, login_as, make_user):
    district = tree[1]
    hr = make_user(Role.HR, unit=district, scope=district)
    client = login_as(hr)
    data = {"kind": "people", "file": (io.BytesIO(people_csv(tree).encode("utf-16")), "nguoi.csv")}
    r = client.post("/training/imports", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    job_url = r.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "Tiếp tục kiểm tra" in page
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    r = client.post(f"/training/imports/{job_id}/step")
    assert r.status_code == 302
    page = client.get(job_url).get_data(as_text=True)
    assert "Mọi dòng đều hợp lệ" in page
    assert session.scalar(select(func.count()).where(User.email == "an@x.vn")) == 0
    r = client.post(f"/training/imports/{job_id}/commit", follow_redirects=True)
    assert "2 tạo mới" in r.get_data(as_text=True)
    assert session.scalar(select(func.count()).where(User.email == "an@x.vn")) == 1


def test_cli_import_with_progress(app, session, tree, admin, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(people_csv(tree).encode("utf-8-sig"))
    result = app.test_cli_runner().invoke(args=["lms", "people", "import", str(path), "--by", admin.username])
    assert result.exit_code == 0, result.output
    assert "đã tạo 2" in result.output  # the CLI speaks Vietnamese too (issue 16)
    assert "created" not in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER + "Ai Đó,ai@x.vn,,NOPE,,\n").encode())
    result = app.test_cli_runner().invoke(args=["lms", "people", "import", str(bad), "--by", admin.username])
    assert result.exit_code != 0
    assert "dòng 2" in result.output


def test_rejected_file_leaves_nothing_behind(app, session, tree, admin):
    from pathlib import Path

    from lms.training.models import ImportRow

    text = people_csv(tree, [f"Đúng,ok@x.vn,,{tree[2].code},,", "Sai,sai@x.vn,,NOPE,,"])
    job = run(session, app, text.encode(), by=admin)
    assert job.status == ImportStatus.INVALID
    assert not Path(job.stored_path).exists()
    assert session.scalar(select(func.count()).where(ImportRow.job_id == job.id)) == 0


def test_a_large_import_is_written_by_a_job(app, session, tree, login_as, make_user, monkeypatch):
    from lms.jobs import run_queued
    from lms.jobs.models import Job, JobStatus

    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD", 1)  # 2 rows count as large here
    district = tree[1]
    hr = make_user(Role.HR, unit=district, scope=district)
    client = login_as(hr)
    data = {"kind": "people", "file": (io.BytesIO(people_csv(tree).encode()), "nguoi.csv")}
    job_url = client.post("/training/imports", data=data, content_type="multipart/form-data").headers[
        "Location"
    ]
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/training/imports/{job_id}/step")
    r = client.post(f"/training/imports/{job_id}/commit")
    again = client.post(f"/training/imports/{job_id}/commit")  # a double click: the same job
    assert r.location == again.location
    assert "/jobs/" in r.location
    assert session.scalar(select(func.count()).where(User.email == "an@x.vn")) == 0  # not in the request
    with app.app_context():
        assert run_queued(kinds=["training.import_commit"]) == 1
    session.expire_all()
    job = session.scalars(select(Job).where(Job.kind == "training.import_commit")).one()
    assert (job.status, job.result["created"]) == (JobStatus.DONE, 2)
    assert session.scalar(select(func.count()).where(User.email == "an@x.vn")) == 1
    page = client.get(r.location).get_data(as_text=True)
    assert "2 tạo mới" in page
    assert f"/training/imports/{job_id}" in page  # "Continue" back to the import
