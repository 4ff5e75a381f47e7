"""The learner's notifications by e-mail: once per user and notice, in the user's language.

A periodic job (``training.notice_mails``, every 15 minutes) computes everyone's notifications
(``notices.collect_notices``, three statements), drops those already mailed (a ``NoticeMail`` row
per user and notice key) or switched off by the user (``NoticePreference``), writes a
``NoticeMail`` row for each of the rest and queues one ``mail.send`` job per message with the
same key, in the same transaction: a retried or second run mails nothing twice, and a message that
the SMTP server refused is retried by the job queue. Nothing happens when SMTP is not configured.
Decision 1607.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.core.mail import mail_configured
from lms.core.web import public_request_context, public_url
from lms.db import utcnow
from lms.jobs import job, periodic, queue_mails
from lms.training.models import NoticeMail, NoticePreference
from lms.training.notices import KINDS, Notice, collect_notices

SEND_NOTICES = "training.notice_mails"

KIND_LABELS = {
    "assigned": _l("A new course is assigned to me"),
    "due_soon": _l("A due date is 7 days away"),
    "due_tomorrow": _l("A due date is tomorrow"),
    "overdue": _l("A course is overdue"),
    "certificate": _l("My certificate is ready"),
    "class_tomorrow": _l("My class starts tomorrow"),
}
assert set(KIND_LABELS) == set(KINDS)  # noqa: S101 (a kind added without a label is a programming error)


def mail_kinds(pref: NoticePreference | None) -> set[str]:
    """The kinds this user gets by e-mail (all by default)."""
    return {k for k in KINDS if pref is None or pref.mails(k)}


def set_mail_kinds(session: Session, user: User, kinds: set[str]) -> None:
    """Record which notifications the user wants by e-mail (flush only)."""
    pref = session.get(NoticePreference, user.id)
    if pref is None:
        pref = NoticePreference(user_id=user.id)
        session.add(pref)
    pref.mail_off = ",".join(k for k in KINDS if k not in kinds)
    session.flush()


def render_notice_mail(user: User, notice: Notice) -> dict[str, Any]:
    """Subject, plain-text and HTML body and headers of one notice, in the user's language."""
    with public_request_context(), force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        settings = public_url(url_for("training.notice_settings"))
        link = public_url(url_for("learning.course", slug=notice.slug)) if notice.slug else ""
        values = {
            "user": user,
            "notice": notice,
            "text": notice.text,
            "link": link,
            "settings": settings,
            "org": current_app.config.get("ISSUER_NAME", ""),
        }
        return {
            "to": user.email,
            "subject": notice.text,
            "body": render_template("training/mail/notice.txt", **values),
            "html": render_template("training/mail/notice.html", **values),
            "headers": {"List-Unsubscribe": f"<{settings}>", "Auto-Submitted": "auto-generated"},
        }


def queue_notice_mails(session: Session, now: dt.datetime) -> int:
    """Queue an e-mail for each notice not yet mailed and wanted (flush only); returns how many.

    A constant number of statements whatever the number of people: the notices (3), their users,
    preferences and mails already sent (3), one INSERT of the new mail rows and the job rows (2).
    """
    if not mail_configured():
        return 0
    found = collect_notices(session, now)
    if not found:
        return 0
    ids = list(found)
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(ids), User.is_active.is_(True), User.email.is_not(None))
        )
    }
    prefs = {
        p.user_id: p
        for p in session.scalars(select(NoticePreference).where(NoticePreference.user_id.in_(ids)))
    }
    sent = set(
        session.execute(
            select(NoticeMail.user_id, NoticeMail.notice_key).where(NoticeMail.user_id.in_(ids))
        ).tuples()
    )
    rows: list[dict[str, Any]] = []
    messages: list[tuple[str, dict[str, Any]]] = []
    for user_id, notices in found.items():
        user = users.get(user_id)
        if user is None or not user.email:
            continue
        wanted = mail_kinds(prefs.get(user_id))
        for notice in notices:
            if notice.kind not in wanted or (user_id, notice.key) in sent:
                continue
            rows.append({"user_id": user_id, "notice_key": notice.key, "kind": notice.kind, "queued_at": now})
            messages.append((f"notice:{user_id}:{notice.key}", render_notice_mail(user, notice)))
    if not rows:
        return 0
    session.execute(insert(NoticeMail), rows)
    return queue_mails(session, messages)


@job(SEND_NOTICES, max_attempts=3)
def notice_mails_job(ctx: Any) -> dict[str, Any]:
    """The periodic run: queue the notification e-mails due now (idempotent, see the module)."""
    return {"queued": queue_notice_mails(ctx.session, utcnow())}


periodic(SEND_NOTICES, minute="*/15")
