"""Certificate test helpers: a course to complete, dev signing keys, stored fake PDFs."""

from __future__ import annotations

import contextvars
import hashlib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from lms.catalog.models import Course
from lms.certificates.models import Certificate, CertificateFile
from lms.certificates.signing import make_dev_keys
from lms.db import utcnow
from lms.learning.models import Enrollment
from tests import factories

COURSE_TITLE = "Chữ ký số và liên thông văn bản điện tử"


@pytest.fixture(autouse=True)
def _request_context(request: pytest.FixtureRequest) -> Any:
    """Run each test in a request context: services use current_app, gettext and url_for.

    The scoped session is then one object for the whole test. Client requests run
    in a fresh contextvars context (see ``client``) so each gets its own app
    context, ``g`` and session, as in production.
    """
    if "app" not in request.fixturenames:  # tests that build their own app
        yield
        return
    with request.getfixturevalue("app").test_request_context():
        yield


class IsolatedClient(FlaskClient):
    """A test client whose requests do not reuse the test's app context."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)  # streamed bodies are read inside that context
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app: Any) -> FlaskClient:
    app.test_client_class = IsolatedClient
    try:
        return app.test_client()
    finally:
        app.test_client_class = None


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("signing")
    make_dev_keys(directory, org_name="UBND tỉnh Quảng Ninh", issuer_name="Sở KH&CN (test)")
    return directory


@pytest.fixture
def signing(app: Any, dev_keys: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Configure the dev PKCS#12 for this test only (other tests issue without rendering)."""
    monkeypatch.setitem(app.config, "SIGNING_P12", str(dev_keys / "signing.p12"))
    monkeypatch.setitem(app.config, "SIGNING_P12_PASSPHRASE", (dev_keys / "passphrase").read_text())
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", str(dev_keys / "ca.pem"))
    return dev_keys


@pytest.fixture
def make_course(session: Any) -> Any:
    """A course to complete: one lesson, 6 hours (tests/factories.py with certificate defaults)."""

    def make(title: str = COURSE_TITLE, *, validity_months: int = 0, lessons: int = 1) -> Course:
        return factories.make_course(
            session,
            title=title,
            lessons=lessons,
            estimated_hours=6,
            certificate_validity_months=validity_months,
        )

    return make


@pytest.fixture
def complete(session: Any, app: Any) -> Any:
    """Enrol user in course and complete every lesson through lms.learning.services."""
    from lms.learning.services import complete_lesson, enroll_user

    def do(user: Any, course: Course) -> Enrollment:
        enrollment = enroll_user(session, user, course)
        for module in course.modules:
            for lesson in module.lessons:
                complete_lesson(session, enrollment, lesson)
        return enrollment

    return do


@pytest.fixture
def issued(session: Any, make_course: Any, complete: Any) -> Any:
    """An automatically issued certificate for user (not rendered unless signing is on)."""
    from sqlalchemy import select

    def make(user: Any, course: Course | None = None, *, fake_pdf: bool = False) -> Certificate:
        course = course or make_course()
        enrollment = complete(user, course)
        cert = session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))
        assert cert is not None
        if fake_pdf and not cert.is_rendered:
            store_fake_pdf(session, cert)
        return cert

    return make


def store_fake_pdf(session: Any, cert: Certificate) -> bytes:
    """Attach placeholder bytes as the stored PDF (for ZIP/permission tests that need no real render)."""
    data = f"%PDF-1.7 fake {cert.code}".encode()
    cert.pdf_sha256 = hashlib.sha256(data).hexdigest()
    cert.pdf_size = len(data)
    cert.rendered_at = utcnow()
    session.add(CertificateFile(certificate_id=cert.id, data=data))
    session.flush()
    return data
