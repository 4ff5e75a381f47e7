"""Issue 14, item 4: an uploaded certificate's verdict leads with its status, then the file's integrity."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from lms.auth.models import Role
from lms.certificates import services
from lms.db import utcnow
from lms.jobs import run_queued


def _verdict(client: Any, data: bytes) -> tuple[str, str]:
    """(the first verdict box, the whole page) of an upload, logged out."""
    html = client.post("/verify/upload", data={"pdf": (io.BytesIO(data), "c.pdf")}).get_data(as_text=True)
    main = html[html.index("<main") :]
    first = re.search(r'<p class="[^"]*\bverdict\b[^"]*"[^>]*>.*?</p>', main, re.S)
    assert first is not None, main
    return first.group(0), main


def test_revoked_superseded_and_expired_lead_the_verdict(
    client: Any, session: Any, make_user: Any, make_unit: Any, issued: Any, signing: Path
) -> None:
    from lms.catalog.models import Course

    learner = make_user(unit=make_unit(), full_name="Nguyễn Văn An")
    cert = issued(learner)
    run_queued(session)  # the job that renders and signs
    session.refresh(cert)
    course = session.get(Course, cert.course_id)
    course.certificate_validity_months = 24
    cert.expires_at = utcnow() + dt.timedelta(days=700)
    session.flush()
    data = services.pdf_bytes(session, cert)
    assert data is not None
    hr = make_user(Role.ADMIN)

    box, page = _verdict(client, data)
    assert "flash-success" in box  # valid and genuine: green

    services.revoke_certificate(session, cert, by=hr, reason="Gian lận khi thi")
    box, page = _verdict(client, data)
    assert 'data-status="revoked"' in box
    assert "flash-error" in box
    assert "Gian lận khi thi" in box
    assert "flash-success" not in page  # no green "genuine" box anywhere
    assert 'data-outcome="genuine"' in page  # the file's integrity is still reported, second
    assert page.index('data-status="revoked"') < page.index('data-outcome="genuine"')
    assert "Có giá trị đến" not in page  # no expiry date for a revoked certificate

    cert.status, cert.revoked_at, cert.revoke_reason = "valid", None, ""
    cert.expires_at = utcnow() - dt.timedelta(days=1)
    session.flush()
    box, page = _verdict(client, data)
    assert 'data-status="expired"' in box
    assert "flash-success" not in page

    cert.expires_at = None
    session.flush()
    new = services.reissue_certificate(session, cert, by=hr, reason="Sửa tên")
    box, page = _verdict(client, data)
    assert 'data-status="superseded"' in box
    assert new.display_code in box
    assert "flash-success" not in page
