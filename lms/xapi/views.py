"""/admin/xapi: the outbox backlog, failures and refused statements; "send now" and "send refused again"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from lms.auth.access import Access, Permission, access
from lms.core.audit import record
from lms.db import db
from lms.jobs.models import Job
from lms.xapi import services
from lms.xapi.models import OutboxStatus, XapiStatement

bp = Blueprint("xapi", __name__, template_folder="templates")


@bp.route("/admin/xapi")
@access(Access.STAFF, Permission.ADMIN_JOBS)
def admin() -> str:
    cfg = current_app.config
    last_job = db.session.scalar(
        select(Job).where(Job.kind == services.SEND).order_by(Job.id.desc()).limit(1)
    )
    return render_template(
        "xapi/admin.html",
        configured=bool(cfg.get("XAPI_ENDPOINT")),
        endpoint=cfg.get("XAPI_ENDPOINT", ""),
        actor=cfg.get("XAPI_ACTOR", "account"),
        backlog=services.backlog(db.session),
        rejected=services.rejected(db.session),
        last_job=last_job,
    )


@bp.route("/admin/xapi/send", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_JOBS)
def send_now() -> Any:
    """Queue a send at once (after fixing the LRS or its settings); refused statements are tried again."""
    if not current_app.config.get("XAPI_ENDPOINT"):
        flash(_("No Learning Record Store is configured (LMS_XAPI_ENDPOINT)."), "error")
        return redirect(url_for("xapi.admin"))
    again = db.session.execute(
        update(XapiStatement)
        .where(XapiStatement.status == OutboxStatus.REJECTED)
        .values(status=OutboxStatus.PENDING)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    services.trigger_send(db.session)
    record(db.session, "xapi.send_now", actor_id=current_user.id, subject="xapi", rejected_again=again)
    db.session.commit()
    flash(_("The statements waiting will be sent to the Learning Record Store shortly."), "success")
    return redirect(url_for("xapi.admin"))
