"""Certificate PDFs are rendered and signed by background jobs, never inside a web request.

``enqueue_render(session, cert)`` adds the job in the caller's transaction (the
certificate row and its job commit together); the verify page works from that
moment, and the PDF follows a few seconds later. The job is idempotent:
``services.render_certificate`` stores a PDF only if none is stored yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from lms.certificates.models import Certificate
from lms.jobs import PermanentJobError, enqueue, enqueue_many, job, periodic

RENDER = "certificates.render"


def render_key(cert_id: int) -> str:
    return f"certificate-render:{cert_id}"


def enqueue_render(session: Session, cert: Certificate) -> None:
    """Queue the render + sign of cert's PDF, which also signs its Open Badge (once). Flush only."""
    if cert.pdf_sha256 is None:
        enqueue(session, RENDER, certificate_id=cert.id, key=render_key(cert.id))


BADGE = "certificates.badge"


def badge_key(cert_id: int) -> str:
    return f"certificate-badge:{cert_id}"


def enqueue_badge(session: Session, cert: Certificate) -> None:
    """Queue the signing of cert's Open Badges 3.0 credential (once per certificate). Flush only."""
    enqueue(session, BADGE, certificate_id=cert.id, key=badge_key(cert.id))


@job(BADGE, max_attempts=6, priority=4)
def badge_job(ctx: Any, *, certificate_id: int) -> dict[str, Any]:
    """Sign and store the certificate's OpenBadgeCredential (a VC-JWT, ≈2 ms; decision 1731)."""
    from lms.certificates.openbadges import badge_of, badges_available, make_badge

    session = ctx.session
    cert = session.get(Certificate, certificate_id)
    if cert is None:
        return {"signed": False, "missing": True}
    if badge_of(session, cert) is not None:
        return {"signed": False}
    if not badges_available():  # the sweeper queues it again once a key is configured
        return {"signed": False, "no_key": True}
    make_badge(session, cert)
    return {"signed": True}


def enqueue_renders(session: Session, certs: list[Certificate]) -> None:
    """enqueue_render for many certificates in a constant number of statements. Flush only."""
    todo = [c.id for c in certs if c.pdf_sha256 is None]
    enqueue_many(session, RENDER, [(render_key(i), {"certificate_id": i}) for i in todo])


@job(RENDER, max_attempts=6, priority=5)
def render_job(ctx: Any, *, certificate_id: int) -> dict[str, Any]:
    from lms.certificates import openbadges
    from lms.certificates.pdf import render_certificate_pdf
    from lms.certificates.services import store_pdf
    from lms.certificates.signing import signing_available
    from lms.db import read_only

    session = ctx.session
    with read_only():  # read and render without holding SQLite's write lock (others keep writing)
        cert = session.get(Certificate, certificate_id)
        if cert is None:
            return {"rendered": False, "missing": True}
        if cert.pdf_sha256 is not None:
            return {"rendered": False}
        if not signing_available():
            raise PermanentJobError("no signing key: set LMS_SIGNING_P12 or run `lms certificates dev-keys`")
        pdf = render_certificate_pdf(cert)
        # The Open Badge is signed by the same job (one job per certificate, not two); without a
        # badge key the periodic render_missing job queues a badge job once a key is configured.
        signer = openbadges.signing_key()
        badge = openbadges.signed_credential(cert, signer) if signer is not None else None
        session.commit()
    rendered = store_pdf(session, cert, pdf)  # a short write; false if another run stored one
    if badge is not None:
        openbadges.store_badge(session, cert, *badge)
    return {"rendered": rendered, "badge": badge is not None}


ZIP = "certificates.zip"


def enqueue_zip(session: Session, ids: list[int], *, filename: str, by: Any) -> Any:
    """Queue a ZIP of these certificates' PDFs (ids already filtered by the requester's scope)."""
    return enqueue(session, ZIP, by=by, certificate_ids=ids, filename=filename)


@job(ZIP, max_attempts=3, priority=-5)
def zip_job(ctx: Any, *, certificate_ids: list[int], filename: str) -> dict[str, Any]:
    """Write the PDFs one at a time into a temporary ZIP, then store it for the requester."""
    import tempfile
    import zipfile

    from lms.certificates.codes import format_code
    from lms.certificates.models import CertificateFile
    from lms.db import read_only, writing
    from lms.jobs.files import store_file

    session = ctx.session
    session.commit()
    total = len(certificate_ids)
    written = 0
    with read_only(), tempfile.TemporaryFile() as tmp:
        ctx.progress(0, total)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for n, cert_id in enumerate(certificate_ids, 1):
                row = session.execute(
                    select(Certificate.code, CertificateFile.data)
                    .join(CertificateFile, CertificateFile.certificate_id == Certificate.id)
                    .where(Certificate.id == cert_id)
                ).first()
                if row is not None:
                    zf.writestr(f"{format_code(row.code)}.pdf", row.data)
                    written += 1
                if n % 50 == 0:
                    ctx.progress(n, total)
        session.commit()
        tmp.seek(0)
        with writing():
            stored = store_file(session, ctx.job, tmp, filename=filename, mimetype="application/zip")
    ctx.job.progress_done = ctx.job.progress_total = total  # in this (write) transaction
    return {"files": written, "bytes": stored.size, "filename": filename}


@job("certificates.render_missing", max_attempts=3)
def render_missing_job(ctx: Any, *, limit: int = 20_000) -> dict[str, Any]:
    """The sweeper for certificates: queue a render for every certificate still without a PDF."""
    from lms.certificates.signing import signing_available

    pdfs_signable = signing_available()
    ids: list[int] = []
    if pdfs_signable:
        ids = list(
            ctx.session.scalars(
                select(Certificate.id)
                .where(Certificate.pdf_sha256.is_(None))
                .order_by(Certificate.id)
                .limit(limit)
            )
        )
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        enqueue_many(ctx.session, RENDER, [(render_key(i), {"certificate_id": i}) for i in part])
    from lms.certificates.models import CertificateBadge, CertificateStatus
    from lms.certificates.openbadges import badges_available

    badges: list[int] = []
    if badges_available():
        badges = list(
            ctx.session.scalars(
                select(Certificate.id)
                .outerjoin(CertificateBadge, CertificateBadge.certificate_id == Certificate.id)
                .where(
                    CertificateBadge.id.is_(None),
                    Certificate.status == CertificateStatus.VALID,
                    # a certificate without a PDF gets its badge from its render job (queued above)
                    Certificate.pdf_sha256.is_not(None) if pdfs_signable else true(),
                )
                .order_by(Certificate.id)
                .limit(limit)
            )
        )
    for start in range(0, len(badges), 500):
        part = badges[start : start + 500]
        enqueue_many(ctx.session, BADGE, [(badge_key(i), {"certificate_id": i}) for i in part])
    return {"queued": len(ids), "badges": len(badges)}


@job("certificates.remind_expiring", max_attempts=3)
def remind_expiring_job(ctx: Any, *, days: int = 30) -> dict[str, Any]:
    from lms.certificates.reminders import send_expiry_reminders
    from lms.core.mail import mail_configured

    if not mail_configured():
        return {"sent": 0}
    return {"sent": send_expiry_reminders(ctx.session, days=days)}


periodic("certificates.render_missing", minute="*/10")
periodic("certificates.remind_expiring", minute="5", hour="1", days=30)  # 08:05 in Hà Nội
