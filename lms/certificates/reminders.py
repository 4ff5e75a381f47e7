"""Expiry reminders by e-mail (sent only when SMTP is configured)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.pdf import verify_url
from lms.core.mail import send_mail
from lms.core.timefmt import to_local
from lms.db import utcnow


def expiring_certificates(session: Session, *, days: int) -> list[Certificate]:
    now = utcnow()
    return list(
        session.scalars(
            select(Certificate)
            .where(
                Certificate.status == CertificateStatus.VALID,
                Certificate.expires_at > now,
                Certificate.expires_at <= now + dt.timedelta(days=days),
                Certificate.reminder_sent_at.is_(None),
            )
            .options(joinedload(Certificate.user))
            .order_by(Certificate.expires_at)
        )
    )


def send_expiry_reminders(session: Session, *, days: int) -> int:
    """Send one reminder per certificate (lms.core.mail); marks each so it is not sent twice."""
    config = current_app.config
    sent = 0
    for cert in expiring_certificates(session, days=days):
        body = (
            f"Kính gửi {cert.holder_name},\n\n"
            f"Chứng chỉ {cert.display_code} của khoá học «{cert.course_title}» "
            f"hết hạn ngày {to_local(cast(dt.datetime, cert.expires_at)):%d/%m/%Y}. "
            "Vui lòng đăng ký học lại để được cấp chứng chỉ mới.\n\n"
            f"Tra cứu: {verify_url(cert.code)}\n\n{config['ISSUER_NAME']}\n"
        )
        if send_mail(cert.user.email or "", f"Chứng chỉ sắp hết hạn: {cert.course_title}", body):
            cert.reminder_sent_at = utcnow()
            sent += 1
    session.flush()
    return sent
