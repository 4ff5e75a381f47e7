"""Certificate: an issued, frozen record of a completed course, and its signed PDF.

Everything printed on a certificate is a snapshot taken at issue time, so later
edits to the person, unit or course never change an issued certificate.
The signed PDF lives in its own table (``certificate_files``) so listing
certificates never loads the bytes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.catalog.models import Course
from lms.db import Base, fk, intpk, utcnow
from lms.org.models import OrgUnit


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"  # never stored: derived from expires_at
    SUPERSEDED = "superseded"


class IssueSource(StrEnum):
    AUTO = "auto"  # on enrolment completion (signal) or the batch CLI
    MANUAL = "manual"  # by HR or a trainer, with a reason
    REISSUE = "reissue"  # replaces a superseded certificate


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[intpk]
    # Normalised code: upper-case, no separators (see lms.certificates.codes).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = fk("users.id", ondelete="RESTRICT")
    course_id: Mapped[int] = fk("courses.id", ondelete="RESTRICT")
    enrollment_id: Mapped[int | None] = fk("enrollments.id", ondelete="SET NULL")
    # "enrollment:<id>" for automatic issues: the unique key makes issuing idempotent
    # even with several processes; NULL for manual issues and reissues.
    issue_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    source: Mapped[str] = mapped_column(String(20), default=IssueSource.AUTO)
    issue_reason: Mapped[str] = mapped_column(Text, default="")
    issued_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")

    # Snapshots.
    holder_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    org_unit_id: Mapped[int | None] = fk("org_units.id", ondelete="SET NULL")
    unit_name: Mapped[str] = mapped_column(String(255), default="")
    course_title: Mapped[str] = mapped_column(String(255))
    course_title_en: Mapped[str] = mapped_column(String(255), default="")
    course_version: Mapped[int] = mapped_column(Integer, default=1)
    hours: Mapped[float] = mapped_column(Float, default=0)
    score: Mapped[float | None] = mapped_column(Float)
    issuer_name: Mapped[str] = mapped_column(String(255), default="")
    completed_at: Mapped[dt.datetime]
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    # State.
    status: Mapped[str] = mapped_column(String(20), default=CertificateStatus.VALID, index=True)
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    reminder_sent_at: Mapped[dt.datetime | None]

    # The frozen PDF: set once when rendered and signed, never changed after.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None]
    rendered_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    superseded_by: Mapped[Certificate | None] = relationship(remote_side="Certificate.id")

    def __repr__(self) -> str:
        return f"<Certificate {self.code} {self.status}>"

    @property
    def effective_status(self) -> str:
        """valid / revoked / superseded as stored, or expired once expires_at has passed."""
        if self.status == CertificateStatus.VALID and self.expires_at and self.expires_at <= utcnow():
            return CertificateStatus.EXPIRED
        return self.status

    @property
    def is_rendered(self) -> bool:
        return self.pdf_sha256 is not None

    @property
    def display_code(self) -> str:
        from lms.certificates.codes import format_code

        return format_code(self.code)


class CertificateFile(Base):
    """The signed PDF bytes of a certificate (one row, written once)."""

    __tablename__ = "certificate_files"

    id: Mapped[intpk]
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), unique=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CertificateBadge(Base):
    """The certificate as a signed Open Badges 3.0 credential (VC-JWT), one row, written once.

    Signed by a background job next to the PDF (decision 1731); its revocation is
    published through the status list, never by changing this row.
    """

    __tablename__ = "certificate_badges"

    id: Mapped[intpk]
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), unique=True
    )
    kid: Mapped[str] = mapped_column(String(300))
    jwt: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
