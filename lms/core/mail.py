"""Outgoing e-mail, only when SMTP is configured (LMS_SMTP_HOST); otherwise nothing is sent.

Prefer ``lms.jobs.queue_mail(session, to, subject, body)``: the message is sent
by a background job after the caller's transaction commits, retried with
back-off when the SMTP server fails. ``send_mail`` sends now, inside the caller.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def deliver(
    to: str, subject: str, body: str, *, html: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """Send a message now (plain text, plus an HTML alternative when given); raises OSError /
    SMTPException on failure. ``headers`` are extra header fields (e.g. List-Unsubscribe)."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
        if cfg.get("SMTP_STARTTLS", True):
            smtp.starttls()
        if cfg.get("SMTP_USER"):
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
        smtp.send_message(msg)


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text message now; returns False (and logs) when SMTP is off or fails."""
    if not current_app.config.get("SMTP_HOST") or not to:
        return False
    try:
        deliver(to, subject, body)
    except (OSError, smtplib.SMTPException):
        log.exception("sending mail to %s failed", to)
        return False
    return True
