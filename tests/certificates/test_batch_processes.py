"""The batch renderer with real worker processes on a committed SQLite file: resumable, no duplicates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import func, select

from lms import create_app
from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateFile
from lms.certificates.signing import check_signature
from lms.core.migrate import alembic_config
from lms.db import db, utcnow
from lms.org.models import OrgUnit


def test_render_missing_with_two_processes_resumes_without_duplicates(tmp_path: Path, dev_keys: Path) -> None:
    url = f"sqlite:///{tmp_path / 'batch.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=url,
        INSTANCE_PATH=str(tmp_path),
        SIGNING_P12=str(dev_keys / "signing.p12"),
        SIGNING_P12_PASSPHRASE=(dev_keys / "passphrase").read_text(),
        SIGNING_TRUST_ROOTS=str(dev_keys / "ca.pem"),
    )
    try:
        with app.test_request_context():
            s: Any = db.session
            unit = OrgUnit(code="B1", name="Xã Đồn Đạc", path="/1/")
            s.add(unit)
            course = Course(slug="batch", title="Văn bản điện tử liên thông", estimated_hours=2)
            s.add(course)
            s.flush()
            certs = []
            for i in range(4):
                user = User(username=f"b{i}", full_name=f"Học viên {i}", org_unit_id=unit.id)
                s.add(user)
                s.flush()
                cert = Certificate(
                    code=services.new_code(),
                    user_id=user.id,
                    course_id=course.id,
                    **services._snapshot(s, user, course, completed_at=utcnow()),
                )
                s.add(cert)
                certs.append(cert)
            s.flush()
            services.render_certificate(s, certs[0])  # a run that was interrupted after one PDF
            s.commit()
            first = services.pdf_bytes(s, certs[0])

        runner = app.test_cli_runner()
        out = runner.invoke(args=["lms", "certificates", "render-missing", "--workers", "2"])
        assert out.exit_code == 0, out.output
        assert "(2 processes)" in out.output
        assert "3 rendered" in out.output
        again = runner.invoke(args=["lms", "certificates", "render-missing", "--workers", "2"])
        assert "nothing to render" in again.output

        with app.test_request_context():
            s = db.session
            assert s.scalar(select(func.count()).select_from(CertificateFile)) == 4
            assert (
                s.scalar(
                    select(func.count()).select_from(Certificate).where(Certificate.pdf_sha256.is_(None))
                )
                == 0
            )
            assert services.pdf_bytes(s, s.get(Certificate, certs[0].id)) == first  # frozen
            last = s.get(Certificate, certs[-1].id)
            assert check_signature(services.pdf_bytes(s, last)).genuine
    finally:
        app.extensions["lms.db"].engine.dispose()
