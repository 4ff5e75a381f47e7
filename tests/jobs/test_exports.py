"""Large report exports become jobs: GET offers a button, POST queues, the job stores the file."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.auth.models import Role
from lms.catalog.models import Course, CourseStatus
from lms.jobs.core import run_job
from lms.jobs.models import Job, JobFile, JobStatus


@pytest.fixture
def district(session: Any, make_unit: Any, make_user: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 5)  # more than 5 people: a job
    unit = make_unit(name="UBND huyện Cô Tô")
    commune = make_unit(unit, name="UBND xã Thanh Lân")
    people = [make_user(unit=commune, full_name=f"Trần Thị {n}") for n in range(8)]
    hr = make_user(Role.HR.value, scope=unit, unit=unit)
    other_hr = make_user(Role.HR.value, scope=unit, unit=unit)
    return unit, hr, other_hr, people


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_large_export_is_a_job_only_its_requester_downloads(
    app: Any, session: Any, login_as: Any, district: Any, fmt: str
) -> None:
    unit, hr, other_hr, people = district
    url = f"/reports/units/{unit.id}/export/people.{fmt}?year=2026"
    client = login_as(hr)
    page = client.get(url)
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert session.scalar(select(Job.id).where(Job.kind == "reports.export")) is None  # a GET changes nothing

    resp = client.post(url)
    assert resp.status_code == 302
    job = session.scalars(select(Job).where(Job.kind == "reports.export")).one()
    assert resp.location.endswith(f"/jobs/{job.id}")
    assert job.requested_by_id == hr.id
    assert 'http-equiv="refresh"' in client.get(resp.location).get_data(as_text=True)

    with app.app_context():
        assert run_job(job.id) == JobStatus.DONE
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.result["rows"] == len(people) + 2  # everyone (HR officers too) once, no enrolments
    assert session.get(JobFile, job.id).filename == f"people-{unit.code}-2026.{fmt}"

    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f"/jobs/{job.id}/download" in page
    data = client.get(f"/jobs/{job.id}/download").data
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
        names = {r[2] for r in rows[1:]}
    else:
        lines = data.decode("utf-8-sig").splitlines()
        names = {line.split(",")[2] for line in lines[1:]}
    assert {p.full_name for p in people} <= names
    assert login_as(other_hr).get(f"/jobs/{job.id}/download").status_code == 403  # not even a colleague


def test_small_exports_still_stream(
    app: Any, login_as: Any, district: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit, hr, _other, _people = district
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 1000)
    resp = login_as(hr).get(f"/reports/units/{unit.id}/export/people.csv?year=2026")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"


def test_a_large_certificate_zip_is_a_job(
    app: Any, session: Any, login_as: Any, district: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from lms.certificates import services
    from tests.certificates.conftest import store_fake_pdf

    unit, hr, other_hr, people = district
    monkeypatch.setitem(app.config, "CERT_ZIP_JOB_THRESHOLD", 2)
    course = Course(slug="zip-course", title="Văn bản điện tử", status=CourseStatus.PUBLISHED)
    session.add(course)
    session.flush()
    certs = []
    for person in people[:3]:
        cert = services.issue_manual(session, person, course, by=hr, reason="Lớp tập trung")
        store_fake_pdf(session, cert)
        certs.append(cert)
    url = f"/certificates/export.zip?unit={unit.code}"
    client = login_as(hr)
    assert 'method="post"' in client.get(url).get_data(as_text=True)
    resp = client.post(url)
    job = session.scalars(select(Job).where(Job.kind == "certificates.zip")).one()
    assert resp.location.endswith(f"/jobs/{job.id}")
    with app.app_context():
        assert run_job(job.id) == JobStatus.DONE
    data = client.get(f"/jobs/{job.id}/download").data
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == sorted(f"{c.display_code}.pdf" for c in certs)
    assert login_as(other_hr).get(f"/jobs/{job.id}/download").status_code == 403
