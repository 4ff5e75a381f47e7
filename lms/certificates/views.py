"""Certificate pages: public verification (+ JSON), learners' certificates, HR tools."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as WerkzeugResponse

from lms.auth.access import (
    Access,
    Permission,
    access,
    can_manage_certificate,
    filter_in_scope,
    managed_courses,
    unit_in_scope,
)
from lms.auth.models import Role, User
from lms.catalog.models import Course, published_courses
from lms.certificates import services
from lms.certificates.codes import format_code, normalize_code
from lms.certificates.forms import BulkVerifyForm, CodeForm, IssueForm, ReasonForm, ReissueForm, UploadForm
from lms.certificates.hooks import holder_filters
from lms.certificates.jobs import enqueue_render, enqueue_zip
from lms.certificates.models import Certificate, CertificateFile, CertificateStatus
from lms.core.audit import record
from lms.core.csvfile import csv_response
from lms.core.pagination import page_number, paginate
from lms.core.timefmt import to_local
from lms.db import db, utcnow, write_on_get
from lms.extensions import limiter
from lms.org.models import OrgUnit

# Public pages live at /verify/... and /api/v1/certificates/...; the rest under /certificates/.
bp = Blueprint("certificates", __name__, template_folder="templates")

VERIFY_REASON = "anyone a certificate is shown to checks it (rate-limited per IP, every lookup audited)"

PAGE_SIZE = 50
MAX_BULK_CODES = 2000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # our certificates are ~30 KiB; parse no big untrusted files


def _verify_limit() -> str:
    return current_app.config["CERT_VERIFY_RATE_LIMIT"]


# Public ---------------------------------------------------------------------


def _status_label(status: str) -> str:
    labels: dict[str, str] = {
        CertificateStatus.VALID: _("Valid"),
        CertificateStatus.REVOKED: _("Revoked"),
        CertificateStatus.EXPIRED: _("Expired"),
        CertificateStatus.SUPERSEDED: _("Superseded"),
    }
    return labels.get(status, status)


@dataclass
class _Placeholder:
    """Stands in for a certificate so an unknown code renders the same page (timing)."""

    code: str = "X" * 18
    display_code: str = "XXXXXX-XXXXXX-XXXXXX"
    holder_name: str = "—"
    job_title: str = ""
    unit_name: str = "—"
    course_title: str = "—"
    course_title_en: str = ""
    course_version: int = 1
    hours: float = 0.0
    score: float | None = None
    completed_at: dt.datetime | None = None
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    effective_status: str = CertificateStatus.VALID
    revoke_reason: str = ""
    revoked_at: dt.datetime | None = None
    issuer_name: str = ""
    superseded_by: Any = None


def _lookup(code: str, via: str) -> Certificate | None:
    """Log the lookup (found or not), then find the certificate, and commit.

    Every lookup is audited, so this GET writes: through ``write_on_get`` (decision 0002).
    """
    with write_on_get(db.session):
        event = record(
            db.session,
            "certificate.lookup",
            actor_id=current_user.id if current_user.is_authenticated else None,
            subject=(normalize_code(code) or "malformed")[:120],
            via=via,
        )
        db.session.flush()
        cert = services.find_by_code(db.session, code)
        event.details = {**event.details, "found": cert is not None}
    return cert


def verify(code: str) -> Any:
    """Public verification page for a code (any case, with or without separators)."""
    cert = _lookup(code, "page")
    found = cert is not None
    shown: Any = cert if found else _Placeholder(issued_at=utcnow(), completed_at=utcnow())
    html = render_template(
        "certificates/verify.html",
        cert=shown,
        status=shown.effective_status,
        status_label=_status_label(shown.effective_status),
        successor=services.latest_in_chain(db.session, cert)
        if cert is not None and cert.superseded_by_id
        else None,
    )
    if not found:
        # Same work as a hit (the page above is rendered and dropped), then a clear answer with 404.
        form = CodeForm(formdata=None, code=code[:64])
        return render_template("certificates/verify_unknown.html", code=code[:64], form=form), 404
    return html


bp.add_url_rule(
    "/verify/<path:code>",
    "verify",
    access(Access.PUBLIC, reason=VERIFY_REASON)(limiter.limit(_verify_limit)(verify)),
)


@bp.route("/verify", methods=["GET"])
@access(Access.PUBLIC, reason=VERIFY_REASON)
@limiter.limit(_verify_limit)
def verify_start() -> Any:
    """Type a code, or upload a PDF."""
    form = CodeForm(request.args)
    if request.args.get("code") and form.validate():
        return redirect(url_for("certificates.verify", code=form.code.data.strip()))
    return render_template("certificates/verify_start.html", form=form, upload=UploadForm())


@bp.route("/verify/upload", methods=["POST"])
@access(Access.PUBLIC, reason=VERIFY_REASON)
@limiter.limit(_verify_limit)
def verify_upload() -> Any:
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a certificate file (PDF or Open Badge) to check."), "error")
        return redirect(url_for("certificates.verify_start"))
    data = form.pdf.data.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        flash(_("The file is too large to be one of our certificates."), "error")
        return redirect(url_for("certificates.verify_start"))
    from lms.certificates import openbadges

    kind = "badge" if openbadges.looks_like_credential(data) else "pdf"
    verdict: Any = (
        openbadges.verify_credential(db.session, data)
        if kind == "badge"
        else services.verify_upload(db.session, data)
    )
    record(
        db.session,
        "certificate.lookup",
        actor_id=current_user.id if current_user.is_authenticated else None,
        subject=verdict.certificate.code if verdict.certificate else "upload",
        found=verdict.certificate is not None,
        via="upload" if kind == "pdf" else "badge-upload",
        outcome=verdict.outcome,
    )
    db.session.commit()
    cert = verdict.certificate
    return render_template(
        "certificates/verify_result.html",
        kind=kind,
        outcome=verdict.outcome,
        cert=cert,
        status=cert.effective_status if cert else None,
        status_label=_status_label(cert.effective_status) if cert else "",
        successor=services.latest_in_chain(db.session, cert) if cert and cert.superseded_by_id else None,
    )


@bp.route("/api/v1/certificates/<path:code>")
@access(Access.PUBLIC, reason=VERIFY_REASON)
@limiter.limit(_verify_limit)
def api_certificate(code: str) -> Any:
    """JSON for other systems: code, status, holder, course, issued_at, expires_at."""
    cert = _lookup(code, "api")
    payload = _api_payload(cert) if cert else _api_payload(_Placeholder(issued_at=utcnow()))
    if cert is None:
        abort(404)
    return jsonify(payload)


def _api_payload(cert: Any) -> dict[str, Any]:
    successor = None
    if isinstance(cert, Certificate) and cert.superseded_by_id:
        successor = format_code(services.latest_in_chain(db.session, cert).code)
    return {
        "code": cert.display_code,
        "status": str(cert.effective_status),
        "holder": cert.holder_name,
        "unit": cert.unit_name,
        "course": cert.course_title,
        "course_version": cert.course_version,
        "hours": cert.hours,
        "score": cert.score,
        "issued_at": cert.issued_at.isoformat() if cert.issued_at else None,
        "expires_at": cert.expires_at.isoformat() if cert.expires_at else None,
        "revoke_reason": cert.revoke_reason or None,
        "superseded_by": successor,
        "issuer": cert.issuer_name,
        "verify_url": url_for("certificates.verify", code=cert.display_code, _external=True),
    }


# Learners -------------------------------------------------------------------


@bp.route("/certificates/mine")
@access(Access.SIGNED_IN, Permission.LEARN)
def mine() -> str:
    certs = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == current_user.id)
        .order_by(Certificate.issued_at.desc())
    ).all()
    from lms.certificates.badge_views import badge_ready_ids
    from lms.certificates.openbadges import badges_available

    badges = badge_ready_ids(certs)
    # Reload while a valid certificate still waits for its PDF or (when a key is set) its Open Badge.
    valid = [c for c in certs if c.status == CertificateStatus.VALID]
    pending = any(not c.is_rendered for c in valid) or (
        any(c.id not in badges for c in valid) and badges_available()
    )
    return render_template(
        "certificates/mine.html", certs=certs, status_label=_status_label, badges=badges, pending=pending
    )


def downloadable(cert_id: int) -> Certificate | WerkzeugResponse:
    """The certificate whose files (PDF, Open Badge) the current user may download, else a response.

    Its holder, HR within scope, or an admin; a holder gets no fresh copy of a withdrawn certificate
    (the verify page explains why) and is sent back to their list with the reason.
    """
    cert = db.get_or_404(Certificate, cert_id)
    manager = can_manage_certificate(current_user, cert)
    if cert.user_id != current_user.id and not manager:
        abort(403)
    if not manager and cert.status in (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED):
        flash(_("This certificate was revoked or replaced and can no longer be downloaded."), "error")
        return redirect(url_for("certificates.mine"))
    return cert


@bp.route("/certificates/<int:cert_id>/pdf")
@access(Access.OWNER)
def download(cert_id: int) -> Any:
    """The signed PDF: for its holder, HR within scope, or admin."""
    cert = downloadable(cert_id)
    if not isinstance(cert, Certificate):
        return cert
    if not cert.is_rendered:
        # Never rendered inside a request: make sure its job is queued and come back later.
        with write_on_get(db.session):
            enqueue_render(db.session, cert)
        flash(_("Preparing the certificate… The PDF will be ready in a few seconds."), "info")
        return redirect(url_for("certificates.mine"))
    data = services.pdf_bytes(db.session, cert) or abort(404)
    return certificate_file(cert, data, mimetype="application/pdf", suffix=".pdf")


def certificate_file(cert: Certificate, data: bytes | str, *, mimetype: str, suffix: str) -> Response:
    """One of a certificate's files (PDF, Open Badge) as a private download, chung-chi-<code><suffix>."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="chung-chi-{format_code(cert.code)}{suffix}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# HR -------------------------------------------------------------------------


def _scoped(stmt: Select[Any]) -> Select[Any]:
    """Certificates of units in the officer's subtree (admin: all)."""
    return filter_in_scope(stmt, current_user, Certificate.org_unit_id)


def _filters() -> dict[str, Any]:
    args = request.args
    found = {
        "q": args.get("q", "").strip(),
        "unit": args.get("unit", "").strip(),
        "course": args.get("course", type=int),
        "status": args.get("status", ""),
        "year": args.get("year", type=int),
    }
    for extra in holder_filters():  # e.g. "class" from the training feature
        found[extra.name] = args.get(extra.name, "").strip()
    return found


def _filtered(stmt: Select[Any], f: dict[str, Any]) -> Select[Any]:
    stmt = _scoped(stmt)
    if f["unit"]:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == f["unit"]))
        if unit is None or not unit_in_scope(current_user, unit):
            abort(403)
        sub = select(OrgUnit.id).where(OrgUnit.within(unit))
        stmt = stmt.where(Certificate.org_unit_id.in_(sub))
    if f["course"]:
        stmt = stmt.where(Certificate.course_id == f["course"])
    for extra in holder_filters():
        if f.get(extra.name):
            stmt = stmt.where(Certificate.user_id.in_(extra.users_for(db.session, f[extra.name])))
    if f["q"]:
        code = normalize_code(f["q"])
        cond = Certificate.holder_name.icontains(f["q"], autoescape=True)  # % and _ are not wildcards
        stmt = stmt.where(cond | (Certificate.code == code)) if code else stmt.where(cond)
    now = utcnow()
    if f["status"] == CertificateStatus.EXPIRED:
        stmt = stmt.where(Certificate.status == CertificateStatus.VALID, Certificate.expires_at <= now)
    elif f["status"] == CertificateStatus.VALID:
        stmt = stmt.where(
            Certificate.status == CertificateStatus.VALID,
            (Certificate.expires_at.is_(None)) | (Certificate.expires_at > now),
        )
    elif f["status"] in (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED):
        stmt = stmt.where(Certificate.status == f["status"])
    if f["year"]:
        start = dt.datetime(f["year"], 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
        end = dt.datetime(f["year"] + 1, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
        stmt = stmt.where(Certificate.issued_at >= start, Certificate.issued_at < end)
    return stmt


def _courses() -> list[Course]:
    return list(db.session.scalars(select(Course).order_by(Course.title)))


@bp.route("/certificates/")
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def index() -> str:
    f = _filters()
    stmt = _filtered(select(Certificate), f).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    page = paginate(db.session, stmt, page_number(request.args.get("page")), PAGE_SIZE)
    return render_template(
        "certificates/index.html",
        page=page,
        f=f,
        courses=_courses(),
        status_label=_status_label,
        statuses=list(CertificateStatus),
        extra_filters=holder_filters(),
        zip_ready=_zip_ready(f),
    )


def _zip_ready(f: dict[str, Any]) -> bool:
    """A ZIP needs a unit, a course or a registered group (e.g. a class) to be chosen."""
    return bool(f["unit"] or f["course"] or any(f.get(x.name) for x in holder_filters()))


@bp.route("/certificates/<int:cert_id>")
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def detail(cert_id: int) -> str:
    cert = db.get_or_404(Certificate, cert_id)
    if not can_manage_certificate(current_user, cert):
        abort(403)
    return _detail(
        cert, ReasonForm(prefix="revoke"), ReissueForm(prefix="reissue", holder_name=cert.holder_name)
    )


def _detail(cert: Certificate, revoke_form: ReasonForm, reissue_form: ReissueForm) -> str:
    return render_template(
        "certificates/detail.html",
        cert=cert,
        status_label=_status_label,
        revoke_form=revoke_form,
        reissue_form=reissue_form,
        successor=services.latest_in_chain(db.session, cert) if cert.superseded_by_id else None,
        predecessors=db.session.scalars(
            select(Certificate).where(Certificate.superseded_by_id == cert.id)
        ).all(),
    )


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def revoke(cert_id: int) -> Any:
    cert = db.get_or_404(Certificate, cert_id)
    if not can_manage_certificate(current_user, cert):
        abort(403)
    form = ReasonForm(prefix="revoke")
    if not form.validate_on_submit():
        return _detail(cert, form, ReissueForm(prefix="reissue", holder_name=cert.holder_name)), 400
    try:
        services.revoke_certificate(db.session, cert, by=current_user, reason=form.reason.data)
    except services.CertificateError as exc:
        flash(str(exc), "error")
        return redirect(url_for("certificates.detail", cert_id=cert.id))
    db.session.commit()
    flash(_("Certificate %(code)s was revoked.", code=format_code(cert.code)), "success")
    return redirect(url_for("certificates.detail", cert_id=cert.id))


@bp.route("/certificates/<int:cert_id>/reissue", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def reissue(cert_id: int) -> Any:
    cert = db.get_or_404(Certificate, cert_id)
    if not can_manage_certificate(current_user, cert):
        abort(403)
    form = ReissueForm(prefix="reissue")
    if not form.validate_on_submit():
        return _detail(cert, ReasonForm(prefix="revoke"), form), 400
    try:
        new = services.reissue_certificate(
            db.session, cert, by=current_user, reason=form.reason.data, holder_name=form.holder_name.data
        )
    except services.CertificateError as exc:
        flash(str(exc), "error")
        return redirect(url_for("certificates.detail", cert_id=cert.id))
    enqueue_render(db.session, new)
    db.session.commit()
    flash(_("Certificate reissued with the new code %(code)s.", code=format_code(new.code)), "success")
    return redirect(url_for("certificates.detail", cert_id=new.id))


def _issuable_courses() -> list[Course]:
    """Published courses only; a trainer who is not HR/admin sees the courses they author."""
    stmt = published_courses()
    if not current_user.has_role(Role.ADMIN, Role.HR):
        stmt = stmt.where(managed_courses(current_user, Course))
    return list(db.session.scalars(stmt))


@bp.route("/certificates/issue", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ISSUE_CERTIFICATES)
def issue() -> Any:
    form = IssueForm(courses=_issuable_courses())
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        course = db.session.get(Course, form.course_id.data)
        if user is None or course is None:
            form.username.errors.append(_("No such user."))
        elif services.manual_issue_authority(db.session, current_user, user, course) is None:
            abort(403)
        else:
            try:
                cert = services.issue_manual(
                    db.session, user, course, by=current_user, reason=form.reason.data
                )
            except services.CertificateError as exc:
                flash(str(exc), "error")
            else:
                enqueue_render(db.session, cert)
                db.session.commit()
                flash(_("Certificate %(code)s issued.", code=format_code(cert.code)), "success")
                if can_manage_certificate(current_user, cert):
                    return redirect(url_for("certificates.detail", cert_id=cert.id))
                return redirect(url_for("certificates.verify", code=format_code(cert.code)))
    return render_template("certificates/issue.html", form=form)


def _zip_stream(ids: list[int]) -> Iterator[bytes]:
    """Yield a ZIP of the PDFs chunk by chunk; at most one PDF is in memory at a time."""

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.chunks.append(bytes(b))
            return len(b)

        def take(self) -> bytes:
            data, self.chunks = b"".join(self.chunks), []
            return data

    sink = Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as zf:
        for cert_id in ids:
            row = db.session.execute(
                select(Certificate.code, Certificate.holder_name, CertificateFile.data)
                .join(CertificateFile, CertificateFile.certificate_id == Certificate.id)
                .where(Certificate.id == cert_id)
            ).first()
            if row is None:
                continue
            zf.writestr(f"{format_code(row.code)}.pdf", row.data)
            yield sink.take()
    yield sink.take()


@bp.route("/certificates/export.zip", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def export_zip() -> Any:
    """All rendered PDFs matching the list filters (unit subtree, course, …) as one ZIP.

    Up to CERT_ZIP_JOB_THRESHOLD files it streams at once; above, a GET offers a button
    and the POST queues a job whose ZIP only the requester can download from the job page.
    """
    f = _filters()
    if not _zip_ready(f):
        flash(_("Choose a unit or a course to download."), "error")
        return redirect(url_for("certificates.index"))
    stmt = _filtered(select(Certificate.id), f).where(Certificate.pdf_sha256.is_not(None))
    ids = list(db.session.scalars(stmt.order_by(Certificate.id)))
    name = "chung-chi-" + "-".join(str(v) for k, v in f.items() if v and k != "status") + ".zip"
    name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in name)
    large = len(ids) > current_app.config.get("CERT_ZIP_JOB_THRESHOLD", 100)
    if request.method == "GET" and large:
        return render_template("jobs/confirm.html", title=_("Prepare the ZIP file"), name=name)
    with write_on_get(db.session):  # a streamed ZIP (GET) is audited too (decision 0002)
        record(db.session, "certificate.zip", actor_id=current_user.id, subject=f["unit"] or str(f["course"]),
               count=len(ids))  # fmt: skip
        if request.method == "POST":
            job_row = enqueue_zip(db.session, ids, filename=name, by=current_user)
    if request.method == "POST":
        return redirect(url_for("jobs.status", background_job_id=job_row.id))
    response = Response(stream_with_context(_zip_stream(ids)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/certificates/bulk-verify", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def bulk_verify() -> Any:
    form = BulkVerifyForm()
    rows: list[tuple[str, Certificate | None]] | None = None
    if form.validate_on_submit():
        text = form.codes.data or ""
        if form.file.data:
            text += "\n" + form.file.data.read(1_000_000).decode("utf-8", "replace")
        raws = [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]
        raws = [r for r in raws if r.lower() not in {"code", "mã", "ma"}][:MAX_BULK_CODES]
        rows = services.bulk_lookup(db.session, raws)
        record(db.session, "certificate.lookup", actor_id=current_user.id, subject="bulk", count=len(rows),
               via="bulk", codes=[c.code if c else raw[:40] for raw, c in rows[:200]])  # fmt: skip
        db.session.commit()
        if request.form.get("format") == "csv":
            return csv_response("bulk-verify.csv", _bulk_rows(rows))
    return render_template("certificates/bulk_verify.html", form=form, rows=rows, status_label=_status_label)


def _bulk_rows(rows: list[tuple[str, Certificate | None]]) -> Iterator[list[str]]:
    yield [_("Code as given"), _("Code"), _("Status"), _("Holder"), _("Unit"), _("Course"),
           _("Issued"), _("Expires")]  # fmt: skip
    for raw, cert in rows:
        if cert is None:
            yield [raw, "", _("Not found"), "", "", "", "", ""]
        else:
            yield [
                raw,
                format_code(cert.code),
                _status_label(cert.effective_status),
                cert.holder_name,
                cert.unit_name,
                cert.course_title,
                _date(cert.issued_at),
                _date(cert.expires_at),
            ]


def _date(value: dt.datetime | None) -> str:
    return to_local(value).strftime("%d/%m/%Y") if value else ""


@bp.route("/certificates/expiring")
@access(Access.STAFF, Permission.MANAGE_CERTIFICATES)
def expiring() -> Any:
    """Valid certificates expiring in the next N days, in the officer's subtree."""
    days = max(1, min(request.args.get("days", 60, type=int), 3650))
    now = utcnow()
    stmt = _scoped(select(Certificate)).where(
        Certificate.status == CertificateStatus.VALID,
        Certificate.expires_at > now,
        Certificate.expires_at <= now + dt.timedelta(days=days),
    )
    certs = db.session.scalars(
        stmt.order_by(Certificate.expires_at).options(joinedload(Certificate.user))
    ).all()
    if request.args.get("format") == "csv":
        rows = [[_("Code"), _("Holder"), _("Unit"), _("Course"), _("Expires"), _("E-mail")]]
        rows += [
            [
                format_code(c.code),
                c.holder_name,
                c.unit_name,
                c.course_title,
                _date(c.expires_at),
                c.user.email or "",
            ]
            for c in certs
        ]
        return csv_response(f"expiring-{days}d.csv", rows)
    return render_template("certificates/expiring.html", certs=certs, days=days)
