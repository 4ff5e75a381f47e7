"""Job pages: the requester's progress/download page and the administrators' jobs list with retry."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from lms.auth.access import Access, Permission, access
from lms.auth.models import User
from lms.core.audit import record
from lms.core.pagination import page_number, paginate
from lms.db import db
from lms.jobs import core
from lms.jobs.core import KIND_LABELS
from lms.jobs.files import file_of, iter_chunks
from lms.jobs.models import Job, JobStatus

bp = Blueprint("jobs", __name__, template_folder="templates")

PER_PAGE = 50

STATUS_LABELS: dict[str, Any] = {
    JobStatus.QUEUED: _l("Waiting"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.RETRYING: _l("Waiting to retry"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
}


def _own_job(job_id: int) -> Job:
    """Load-or-404, then only the person who asked for it (403)."""
    job_row = db.get_or_404(Job, job_id)
    if job_row.requested_by_id is None or job_row.requested_by_id != current_user.id:
        abort(403)
    return job_row


@bp.route("/jobs/<int:background_job_id>")
@access(Access.OWNER)
def status(background_job_id: int) -> Any:
    job_row = _own_job(background_job_id)
    stored = file_of(db.session, job_row.id)
    back = (job_row.args or {}).get("_return_to")
    if not (isinstance(back, str) and back.startswith("/") and not back.startswith("//")):
        back = None
    return render_template(
        "jobs/status.html",
        back=back,
        job=job_row,
        stored=stored,
        label=KIND_LABELS.get(job_row.kind, job_row.kind),
        status_label=STATUS_LABELS.get(job_row.status, job_row.status),
        refresh=not job_row.finished,
    )


@bp.route("/jobs/<int:background_job_id>/download")
@access(Access.OWNER)
def download(background_job_id: int) -> Any:
    job_row = _own_job(background_job_id)
    stored = file_of(db.session, job_row.id)
    if stored is None:
        flash(_("This file is no longer available. Please start the export again."), "error")
        return redirect(url_for("jobs.status", background_job_id=job_row.id))
    response = Response(stream_with_context(iter_chunks(db.session, job_row.id)), mimetype=stored.mimetype)
    ascii_name = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in stored.filename
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.filename)}"
    )
    response.headers["Content-Length"] = str(stored.size)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/jobs")
@access(Access.STAFF, Permission.ADMIN_JOBS)
def admin_list() -> str:
    wanted = request.args.get("status", "")
    stmt = select(Job, User).outerjoin(User, User.id == Job.requested_by_id)
    if wanted in set(JobStatus):
        stmt = stmt.where(Job.status == wanted)
    stmt = stmt.order_by(Job.id.desc())
    page = paginate(db.session, stmt, page_number(request.args.get("page")), PER_PAGE, rows=True)
    counts: dict[str, int] = dict(
        db.session.execute(select(Job.status, func.count()).group_by(Job.status)).tuples().all()
    )

    return render_template(
        "jobs/admin_list.html",
        page=page,
        counts=counts,
        wanted=wanted,
        statuses=list(JobStatus),
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
        backend=current_app.extensions["lms.jobs"].backend,
    )


@bp.route("/admin/jobs/<int:background_job_id>/retry", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_JOBS)
def admin_retry(background_job_id: int) -> Any:
    job_row = db.get_or_404(Job, background_job_id)
    if job_row.status not in (JobStatus.FAILED, JobStatus.RETRYING, JobStatus.RUNNING):
        flash(_("Only a failed or stuck job can be retried."), "error")
    else:
        core.retry(db.session, job_row)
        record(
            db.session, "job.retry", actor_id=current_user.id, subject=f"job:{job_row.id}", kind=job_row.kind
        )
        db.session.commit()
        flash(_("Job %(id)s was queued again.", id=job_row.id), "success")
    return redirect(url_for("jobs.admin_list", status=request.args.get("status", "")))
