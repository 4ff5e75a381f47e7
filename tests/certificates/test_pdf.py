"""The rendered certificate: Vietnamese text, QR code, PAdES signature, verify by upload.

Rendering and signing cost about a second each on the shared machine, so one
test renders one certificate and checks everything a holder and a verifier rely on.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lms.certificates import services
from lms.certificates.pdf import StaticOnlyFetcher, html_to_pdf, verify_url
from lms.certificates.signing import check_signature
from lms.jobs import run_queued


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "cert.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def decode_qr(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "cert.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def test_completed_course_yields_a_signed_pdf_with_qr_and_vietnamese_text(
    app: Any,
    session: Any,
    client: Any,
    make_user: Any,
    make_unit: Any,
    issued: Any,
    signing: Path,
    tmp_path: Path,
) -> None:
    learner = make_user(unit=make_unit(name="UBND xã Đồn Đạc"), full_name="Nguyễn Thị Hương")
    cert = issued(learner)
    assert not cert.is_rendered  # completion only queued the job that renders and signs
    # One job renders and signs the PDF and signs the Open Badge (tests/jobs/ runs it through real consumers).
    assert run_queued(session) == 1
    session.refresh(cert)
    assert cert.is_rendered
    from lms.certificates.openbadges import badge_of

    assert badge_of(session, cert) is not None
    data = services.pdf_bytes(session, cert)
    assert data is not None
    assert data.startswith(b"%PDF")

    text = pdftotext(data, tmp_path)
    for phrase in ("Chữ ký số", "liên thông", "Nguyễn Thị Hương", "UBND xã Đồn Đạc", cert.display_code):
        assert phrase in text

    with app.test_request_context():
        expected_url = verify_url(cert.code)
    assert expected_url == f"http://lms.test/verify/{cert.display_code}"
    assert decode_qr(data, tmp_path) == expected_url

    check = check_signature(data)
    assert check.genuine, check

    with app.test_request_context():
        assert services.verify_upload(session, data).outcome == "genuine"
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x01
        verdict = services.verify_upload(session, bytes(flipped))
        assert verdict.outcome == "modified"
        assert verdict.certificate is not None
        assert verdict.certificate.id == cert.id
        appended = data + b"\n%% appended after signing\n"
        assert services.verify_upload(session, appended).outcome == "modified"

    # The same through the public upload form, logged out.
    resp = client.post("/verify/upload", data={"pdf": (io.BytesIO(data), "c.pdf")})
    assert resp.status_code == 200
    assert 'data-outcome="genuine"' in resp.get_data(as_text=True)
    resp = client.post("/verify/upload", data={"pdf": (io.BytesIO(bytes(flipped)), "c.pdf")})
    assert 'data-outcome="modified"' in resp.get_data(as_text=True)

    # Frozen: rendering again does nothing and keeps the stored file.
    with app.test_request_context():
        assert services.render_certificate(session, cert) is False
    assert services.pdf_bytes(session, cert) == data


def test_an_unrelated_pdf_is_unknown(app: Any, session: Any, client: Any, signing: Path) -> None:
    with app.test_request_context():
        other = html_to_pdf("<p>Giấy mời họp</p>")
        assert services.verify_upload(session, other).outcome == "unknown"
        assert services.verify_upload(session, b"not a pdf at all").outcome == "unknown"
    resp = client.post("/verify/upload", data={"pdf": (io.BytesIO(other), "x.pdf")})
    assert 'data-outcome="unknown"' in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.com/font.ttf", "ftp://x/y"],
)
def test_url_fetcher_refuses_anything_but_static_files(url: str) -> None:
    from weasyprint.urls import URLFetchingError

    with pytest.raises(URLFetchingError):
        StaticOnlyFetcher()(url)


def test_url_fetcher_serves_the_bundled_font() -> None:
    from lms.certificates.pdf import STATIC_DIR

    font = STATIC_DIR / "fonts" / "DejaVuSerif.ttf"
    response = StaticOnlyFetcher()(font.as_uri())
    assert response.read()[:4] == font.read_bytes()[:4]
    with pytest.raises(Exception, match="refused"):
        StaticOnlyFetcher()((STATIC_DIR / ".." / "__init__.py").as_uri())
