"""The certificate PDF: one Jinja template → HTML → WeasyPrint, then signed.

The template gets plain values (``certificate_context``), never ORM objects.
The URL fetcher serves only the app's own static files (fonts, images) and the
inline QR code; ``file:`` paths outside lms/static and remote URLs are refused.
"""

from __future__ import annotations

import atexit
import base64
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from flask import current_app, render_template

from lms.certificates.codes import format_code
from lms.certificates.models import Certificate
from lms.core.timefmt import to_local
from lms.core.web import public_url_for

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
CERT_CSS = Path(__file__).resolve().parent / "pdf.css"


class StaticOnlyFetcher:
    """A WeasyPrint URL fetcher limited to lms/static and data: URLs."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.root = root.resolve()

    def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
        from weasyprint.urls import URLFetcherResponse, URLFetchingError

        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            mime = header[5:].split(";")[0] or "text/plain"
            if ";base64" in header:
                body = base64.b64decode(payload)
            else:
                from urllib.parse import unquote_to_bytes

                body = unquote_to_bytes(payload)
            return URLFetcherResponse(url, body, {"Content-Type": mime})
        if url.startswith("file://"):
            from urllib.parse import unquote, urlsplit

            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise URLFetchingError(f"refused: {url[:200]}")

    # WeasyPrint ≥ 68 calls fetch(); older versions call the object.
    fetch = __call__


def verify_url(code: str) -> str:
    """Absolute public verify URL: LMS_PUBLIC_URL + url_for('certificates.verify')."""
    return public_url_for("certificates.verify", code=format_code(code))


def qr_data_uri(url: str) -> str:
    """The QR code as a 1-pixel-per-module PNG data URL (a few hundred bytes).

    The template scales it up with ``image-rendering: pixelated`` (no smoothing in
    the PDF). WeasyPrint lays out an SVG path of the same code about ten times slower.
    """
    qr = segno.make(url, error="m", micro=False)
    return qr.png_data_uri(scale=1, border=2)


def certificate_context(cert: Certificate) -> dict[str, Any]:
    """Plain values the PDF template prints."""
    url = verify_url(cert.code)
    return {
        "code": format_code(cert.code),
        "holder_name": cert.holder_name,
        "job_title": cert.job_title,
        "unit_name": cert.unit_name,
        "course_title": cert.course_title,
        "course_title_en": cert.course_title_en,
        "course_version": cert.course_version,
        "hours": _number(cert.hours),
        "score": _number(cert.score) if cert.score is not None else "",
        "completed_on": _vn_date(cert.completed_at),
        "issued_on": _vn_date(cert.issued_at),
        "expires_on": _vn_date(cert.expires_at) if cert.expires_at else "",
        "issuer_name": cert.issuer_name,
        "org_name": current_app.config["ORG_NAME"],
        "verify_url": url,
        "qr": qr_data_uri(url),
    }


def _vn_date(value: Any) -> str:
    return to_local(value).strftime("%d/%m/%Y")


def _number(value: float) -> str:
    """Vietnamese number: decimal comma, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


@lru_cache(maxsize=1)
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@atexit.register
def _release_fonts() -> None:
    """Drop the cached font configuration while the interpreter is whole (its __del__ needs WeasyPrint)."""
    _cert_stylesheet.cache_clear()
    _font_config.cache_clear()


def render_html(context: dict[str, Any]) -> str:
    return render_template("certificates/pdf.html", **context)


@lru_cache(maxsize=1)
def _cert_stylesheet() -> Any:
    """pdf.css parsed once (its @font-face rules register the fonts in _font_config())."""
    from weasyprint import CSS

    return CSS(
        string=CERT_CSS.read_text(encoding="utf-8"),
        base_url=STATIC_DIR.as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(),
        font_config=_font_config(),
    )


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    font_config = _font_config()
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(
        stylesheets=[_cert_stylesheet()],
        font_config=font_config,
        pdf_variant=None,
        uncompressed_pdf=False,
    )


def warm_up() -> None:
    """Render and sign a sample once: fonts, pdf.css and the signing key are loaded before the first job."""
    from lms.certificates.signing import sign_pdf, signing_available

    sample = {"code": "WARM-UP", "holder_name": "Nguyễn Văn A", "job_title": "Chuyên viên",
              "unit_name": "UBND", "course_title": "Khoá học", "course_title_en": "", "course_version": 1,
              "hours": "8", "score": "90", "completed_on": "01/01/2026", "issued_on": "01/01/2026",
              "expires_on": "", "issuer_name": "", "org_name": current_app.config["ORG_NAME"],
              "verify_url": "https://example.invalid/", "qr": qr_data_uri("https://example.invalid/")}  # fmt: skip
    pdf = html_to_pdf(render_html(sample))
    if signing_available():
        sign_pdf(pdf, reason="warm-up", location="warm-up")


def render_certificate_pdf(cert: Certificate) -> bytes:
    """Render and sign the PDF of cert (not stored: see services.render_certificate)."""
    from lms.certificates.signing import sign_pdf

    pdf = html_to_pdf(render_html(certificate_context(cert)))
    return sign_pdf(
        pdf,
        reason=f"LMS certificate {cert.code}",  # plain ASCII: readable in the file (verify_upload)
        location=current_app.config["ORG_NAME"],
    )
