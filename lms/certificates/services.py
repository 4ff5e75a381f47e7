"""Issuing, rendering, revoking, reissuing and looking up certificates.

Services flush and never commit; the caller (view or CLI) commits once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from blinker import Namespace
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from lms.auth.access import manages_course, unit_in_scope
from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.certificates.codes import ALPHABET, CODE_IN_TEXT, LENGTH, new_code, normalize_code
from lms.certificates.models import (
    Certificate,
    CertificateFile,
    CertificateStatus,
    IssueSource,
)
from lms.core.audit import record, record_many
from lms.db import utcnow
from lms.learning.models import Enrollment
from lms.quizzes import rules as quiz_rules

signals = Namespace()
certificates_issued = signals.signal("certificates-issued")
"""Sent once per set of new certificates (sender None, session=, certificates=[...]), after the flush:
issued on completion (set-based) or by hand. A re-issue (a correction) sends nothing."""

log = logging.getLogger(__name__)
# The signature's /Reason names the code (see pdf.render_certificate_pdf).
CLAIM_IN_SIGNATURE = re.compile(f"LMS certificate ([{ALPHABET}]{{{LENGTH}}})")


class CertificateError(ValueError):
    """A rule was broken; str(error) is the translated message for the user."""


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    month = value.month - 1 + months
    year = value.year + month // 12
    month = month % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def final_score(session: Session, enrollment: Enrollment | None) -> float | None:
    """The final exam's score (0–100) printed on the certificate; None without a final exam."""
    if enrollment is None:
        return None
    value = quiz_rules.final_score(session, enrollment)
    return None if value is None else float(value)


def issuer_name() -> str:
    """The issuing body's name (services may run without an app context, e.g. in scripts)."""
    if has_app_context():
        return str(current_app.config["ISSUER_NAME"])
    from config import load_config

    return load_config().ISSUER_NAME


def _unique_code(session: Session) -> str:
    while True:  # 89 bits: a collision is astronomically unlikely, but check anyway
        code = new_code()
        if session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def _snapshot(session: Session, user: User, course: Course, *, completed_at: dt.datetime) -> dict[str, Any]:
    issued_at = utcnow()
    months = course.certificate_validity_months or 0
    return {
        "holder_name": user.full_name,
        "job_title": user.job_title or "",
        "org_unit_id": user.org_unit_id,
        "unit_name": user.org_unit.name if user.org_unit else "",
        "course_title": course.title,
        "course_title_en": course.title_en or "",
        "course_version": course.version,
        "hours": float(course.estimated_hours or 0),
        "issuer_name": issuer_name(),
        "completed_at": completed_at,
        "issued_at": issued_at,
        "expires_at": add_months(issued_at, months) if months > 0 else None,
    }


def certificate_for_enrollment(session: Session, enrollment: Enrollment) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.issue_key == f"enrollment:{enrollment.id}"))


def issue_certificate(
    session: Session, enrollment: Enrollment, *, by: User | None = None
) -> tuple[Certificate, bool]:
    """Issue the automatic certificate of a completed enrolment, once.

    Returns (certificate, created). Idempotent: a second call (or a concurrent
    process) finds the existing one through the unique issue_key.
    """
    if enrollment.completed_at is None:
        raise CertificateError(_l("The enrolment is not complete."))
    existing = certificate_for_enrollment(session, enrollment)
    if existing is not None:
        return existing, False
    cert = Certificate(
        code=_unique_code(session),
        user_id=enrollment.user_id,
        course_id=enrollment.course_id,
        enrollment_id=enrollment.id,
        issue_key=f"enrollment:{enrollment.id}",
        source=IssueSource.AUTO,
        issued_by_id=by.id if by else None,
        score=final_score(session, enrollment),
        **_snapshot(session, enrollment.user, enrollment.course, completed_at=enrollment.completed_at),
    )
    try:
        with session.begin_nested():
            session.add(cert)
            session.flush()
    except IntegrityError:
        # Another process issued it between our check and insert.
        found = certificate_for_enrollment(session, enrollment)
        if found is None:
            raise
        return found, False
    record(session, "certificate.issue", actor_id=by.id if by else None, subject=cert.code, source="auto")
    return cert, True


def issue_certificates(
    session: Session, enrollments: Sequence[Enrollment], *, by: User | None = None
) -> list[Certificate]:
    """``issue_certificate`` for many completed enrolments (a class's attendance): the new ones.

    A constant number of statements: the existing issue keys, the holders with their units,
    the final scores, the codes and the audit entries are each read or written in one.
    Should another process issue one of them meanwhile (the unique issue_key), the batch is
    rolled back to its savepoint and issued one by one instead.
    """
    if any(e.completed_at is None for e in enrollments):
        raise CertificateError(_l("The enrolment is not complete."))
    certs = _issue_certificates(session, enrollments, by=by)
    if certs:
        certificates_issued.send(None, session=session, certificates=certs)
    return certs


def _issue_certificates(
    session: Session, enrollments: Sequence[Enrollment], *, by: User | None
) -> list[Certificate]:
    if len(enrollments) <= 1:
        issued = [issue_certificate(session, e, by=by) for e in enrollments]
        return [cert for cert, created in issued if created]
    keys = {f"enrollment:{e.id}": e for e in enrollments}
    taken = set(session.scalars(select(Certificate.issue_key).where(Certificate.issue_key.in_(keys))))
    todo = [e for key, e in keys.items() if key not in taken]
    if not todo:
        return []
    holders = {
        u.id: u
        for u in session.scalars(
            select(User).options(joinedload(User.org_unit)).where(User.id.in_({e.user_id for e in todo}))
        )
    }
    scores = quiz_rules.final_scores(session, todo)
    codes = _unique_codes(session, len(todo))
    rows = [
        {
            "code": code,
            "user_id": e.user_id,
            "course_id": e.course_id,
            "enrollment_id": e.id,
            "issue_key": f"enrollment:{e.id}",
            "source": IssueSource.AUTO,
            "issued_by_id": by.id if by else None,
            "score": scores.get(e.id),
            **_snapshot(
                session, holders[e.user_id], e.course, completed_at=cast(dt.datetime, e.completed_at)
            ),
        }
        for e, code in zip(todo, codes, strict=True)
    ]
    try:
        with session.begin_nested():
            # executemany, no RETURNING (SQLite would insert row by row to return ids in order)
            session.execute(insert(Certificate), rows)
    except IntegrityError:  # another process issued some of them: one by one finds or adds each
        return [cert for cert, created in (issue_certificate(session, e, by=by) for e in todo) if created]
    certs = list(
        session.scalars(select(Certificate).where(Certificate.issue_key.in_([r["issue_key"] for r in rows])))
    )
    record_many(
        session, "certificate.issue", [c.code for c in certs], actor_id=by.id if by else None, source="auto"
    )
    return certs


def _unique_codes(session: Session, n: int) -> list[str]:
    """n new codes none of which is taken (one statement; a collision is astronomically unlikely)."""
    codes: list[str] = []
    while len(codes) < n:
        fresh = list(dict.fromkeys(new_code() for _ in range(n - len(codes))))
        taken = set(session.scalars(select(Certificate.code).where(Certificate.code.in_(fresh))))
        codes += [c for c in fresh if c not in taken and c not in codes]
    return codes


def manual_issue_authority(session: Session, actor: User, user: User, course: Course) -> str | None:
    """On what authority actor may issue a certificate by hand to user for course, or None.

    * ``admin``: an administrator, for anyone;
    * ``hr-scope``: an HR officer, for people of units in their scope subtree;
    * ``trainer-course``: a trainer listed as an author of the course, for a
      learner of that course (enrolled in it, directly, by an assignment or on a
      class roster, which enrols too).
    Anyone else, or any other combination, has no authority (decision 1401).
    """
    if actor.has_role(Role.ADMIN):
        return "admin"
    if actor.has_role(Role.HR) and user.org_unit is not None and unit_in_scope(actor, user.org_unit):
        return "hr-scope"
    if actor.has_role(Role.TRAINER) and manages_course(actor, course):
        enrolled = session.scalar(
            select(Enrollment.id).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
        )
        if enrolled is not None:
            return "trainer-course"
    return None


class NoAuthorityError(CertificateError):
    """The actor may not issue this certificate by hand (the view answers 403)."""


def issue_manual(session: Session, user: User, course: Course, *, by: User, reason: str) -> Certificate:
    """HR, an administrator or the course's trainer issues a certificate by hand.

    Needs a reason, a published course and an authority (``manual_issue_authority``);
    the audit entry names the authority, the evidence of completion (if any), the
    course version and the holder's unit.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_l("A reason is required."))
    if not course.is_published:
        raise CertificateError(_l("Only a published course can be certified."))
    authority = manual_issue_authority(session, by, user, course)
    if authority is None:
        raise NoAuthorityError(_l("You may not issue a certificate to this person for this course."))
    current = session.scalar(
        select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.status == CertificateStatus.VALID,
        )
    )
    if current is not None and current.effective_status == CertificateStatus.VALID:
        raise CertificateError(_l("This person already holds a valid certificate for this course."))
    enrollment = session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    completed = enrollment.completed_at if enrollment and enrollment.completed_at else utcnow()
    cert = Certificate(
        code=_unique_code(session),
        user_id=user.id,
        course_id=course.id,
        enrollment_id=enrollment.id if enrollment else None,
        source=IssueSource.MANUAL,
        issue_reason=reason,
        issued_by_id=by.id,
        score=final_score(session, enrollment),
        **_snapshot(session, user, course, completed_at=completed),
    )
    session.add(cert)
    session.flush()
    record(
        session,
        "certificate.issue",
        actor_id=by.id,
        subject=cert.code,
        source="manual",
        reason=reason,
        authority=authority,
        holder=f"user:{user.id}",
        unit=user.org_unit.code if user.org_unit else None,
        course=course.id,
        course_version=course.version,
        enrollment=enrollment.id if enrollment else None,
        completed=bool(enrollment and enrollment.completed_at),
    )
    certificates_issued.send(None, session=session, certificates=[cert])
    return cert


def revoke_certificate(session: Session, cert: Certificate, *, by: User, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_l("A reason is required."))
    if cert.status != CertificateStatus.VALID:
        raise CertificateError(_l("Only a valid certificate can be revoked."))
    cert.status = CertificateStatus.REVOKED
    cert.revoked_at = utcnow()
    cert.revoked_by_id = by.id
    cert.revoke_reason = reason
    session.flush()
    record(session, "certificate.revoke", actor_id=by.id, subject=cert.code, reason=reason)


def reissue_certificate(
    session: Session, cert: Certificate, *, by: User, reason: str, holder_name: str | None = None
) -> Certificate:
    """Replace cert by a new one with a new code (e.g. a corrected name); the old is superseded.

    Name, job title and unit are taken afresh from the person (holder_name may
    correct the name); the course, completion, score and expiry are kept.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_l("A reason is required."))
    if cert.status == CertificateStatus.SUPERSEDED:
        raise CertificateError(_l("This certificate was already replaced."))
    if cert.status == CertificateStatus.REVOKED:
        raise CertificateError(_l("A revoked certificate cannot be reissued."))
    user = cert.user
    new = Certificate(
        code=_unique_code(session),
        user_id=cert.user_id,
        course_id=cert.course_id,
        enrollment_id=cert.enrollment_id,
        source=IssueSource.REISSUE,
        issue_reason=reason,
        issued_by_id=by.id,
        holder_name=(holder_name or "").strip() or user.full_name,
        job_title=user.job_title or "",
        org_unit_id=user.org_unit_id,
        unit_name=user.org_unit.name if user.org_unit else cert.unit_name,
        course_title=cert.course_title,
        course_title_en=cert.course_title_en,
        course_version=cert.course_version,
        hours=cert.hours,
        score=cert.score,
        issuer_name=issuer_name(),
        completed_at=cert.completed_at,
        issued_at=utcnow(),
        expires_at=cert.expires_at,
    )
    session.add(new)
    session.flush()
    cert.status = CertificateStatus.SUPERSEDED
    cert.superseded_by_id = new.id
    # The automatic issue key moves to the new certificate so "issue once" still holds.
    key, cert.issue_key = cert.issue_key, None
    session.flush()
    new.issue_key = key
    session.flush()
    record(session, "certificate.reissue", actor_id=by.id, subject=cert.code, new=new.code, reason=reason)
    return new


def latest_in_chain(session: Session, cert: Certificate) -> Certificate:
    """Follow superseded_by links to the current certificate."""
    seen = {cert.id}
    while cert.superseded_by_id and cert.superseded_by_id not in seen:
        cert = session.get(Certificate, cert.superseded_by_id)  # type: ignore[assignment]
        seen.add(cert.id)
    return cert


# Rendering ------------------------------------------------------------------


def render_certificate(session: Session, cert: Certificate) -> bool:
    """Render and sign cert's PDF once and store it; False if it already was.

    The update is conditional (``pdf_sha256 IS NULL``) so two processes never
    both store a file; the bytes and the hash are written in one transaction,
    so an interruption leaves either nothing or a complete, signed PDF.
    """
    from lms.certificates.pdf import render_certificate_pdf

    if cert.pdf_sha256 is not None:
        return False
    return store_pdf(session, cert, render_certificate_pdf(cert))


def store_pdf(session: Session, cert: Certificate, pdf: bytes) -> bool:
    """Store a rendered, signed PDF unless one is stored already (conditional UPDATE); flush only.

    Background jobs render outside any write transaction and then call this in a short one
    (on SQLite the write lock is then held for milliseconds, not for the whole render).
    """
    from sqlalchemy.orm.attributes import set_committed_value

    values = {"pdf_sha256": hashlib.sha256(pdf).hexdigest(), "pdf_size": len(pdf), "rendered_at": utcnow()}
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id, Certificate.pdf_sha256.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        session.refresh(cert)  # another run stored one: show its values
        return False
    session.add(CertificateFile(certificate_id=cert.id, data=pdf))
    session.flush()
    for name, value in values.items():  # what the UPDATE wrote, without reading the row back
        set_committed_value(cert, name, value)
    return True


def pdf_bytes(session: Session, cert: Certificate) -> bytes | None:
    return session.scalar(select(CertificateFile.data).where(CertificateFile.certificate_id == cert.id))


# Lookup and verification ----------------------------------------------------


def find_by_code(session: Session, raw: str) -> Certificate | None:
    """The certificate for a code typed in any case, with or without separators."""
    code = normalize_code(raw)
    # Malformed codes still run a lookup so they cost what a real one does.
    return session.scalar(select(Certificate).where(Certificate.code == (code or "-")))


@dataclass(frozen=True)
class UploadVerdict:
    outcome: str  # "genuine" | "modified" | "unknown"
    certificate: Certificate | None


def verify_upload(session: Session, data: bytes) -> UploadVerdict:
    """Is data a genuine, unmodified certificate PDF of this site?

    Genuine: its SHA-256 equals a stored certificate's and its signature is ours,
    intact and trusted. Modified: it is signed by us or names one of our codes,
    but is not byte-for-byte a stored file (or the signature fails). Unknown: neither.
    """
    from lms.certificates.signing import check_signature

    digest = hashlib.sha256(data).hexdigest()
    stored = session.scalar(select(Certificate).where(Certificate.pdf_sha256 == digest))
    check = check_signature(data)
    if stored is not None and check.genuine:
        return UploadVerdict("genuine", stored)
    claimed = _claimed_certificate(session, data)
    if stored is not None or check.ours or claimed is not None:
        return UploadVerdict("modified", stored or claimed)
    return UploadVerdict("unknown", None)


def _claimed_certificate(session: Session, data: bytes) -> Certificate | None:
    """A certificate whose code appears in the file's metadata or text, if any."""
    text = data.decode("latin-1")
    found = CODE_IN_TEXT.findall(text) + CLAIM_IN_SIGNATURE.findall(text)
    codes = {normalize_code(m) for m in found}
    codes.discard(None)
    if not codes:
        return None
    return session.scalar(select(Certificate).where(Certificate.code.in_(codes)).limit(1))


def bulk_lookup(session: Session, raws: Iterable[str]) -> list[tuple[str, Certificate | None]]:
    """(code as given, certificate or None) for each code, in one query."""
    items = [(raw, normalize_code(raw)) for raw in raws]
    wanted = {code for _, code in items if code}
    found: dict[str, Certificate] = {}
    if wanted:
        found = {c.code: c for c in session.scalars(select(Certificate).where(Certificate.code.in_(wanted)))}
    return [(raw, found.get(code) if code else None) for raw, code in items]
