"""Assignments, yearly targets, in-person classes, attendance and people-import jobs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from lms.catalog.models import Course
from lms.db import Base, created_at, fk, intpk, utcnow
from lms.org.models import OrgUnit


class Assignment(Base):
    """A course assigned for a year to a unit subtree (optionally one job title) or to listed people."""

    __tablename__ = "training_assignments"

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    year: Mapped[int] = mapped_column(Integer, index=True)
    due_at: Mapped[dt.datetime | None]
    # Unit subtree assignment (None: only the listed people).
    unit_id: Mapped[int | None] = fk("org_units.id")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    # The subtree that owns the assignment (scope checks): unit_id, or the officer's scope unit.
    owner_unit_id: Mapped[int] = fk("org_units.id")
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]
    closed_at: Mapped[dt.datetime | None]

    course: Mapped[Course] = relationship()
    unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[unit_id])
    owner_unit: Mapped[OrgUnit] = relationship(foreign_keys=[owner_unit_id])
    members: WriteOnlyMapped[AssignmentMember] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Assignment course={self.course_id} unit={self.unit_id} year={self.year}>"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and (self.due_at is None or self.due_at > utcnow())


class AssignmentMember(Base):
    """A person listed by name on an assignment."""

    __tablename__ = "training_assignment_members"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[intpk]
    assignment_id: Mapped[int] = fk("training_assignments.id")
    user_id: Mapped[int] = fk("users.id")


class Target(Base):
    """The plan's quota: how many people of a unit to train in a course in a year."""

    __tablename__ = "training_targets"
    __table_args__ = (UniqueConstraint("year", "unit_id", "course_id"),)

    id: Mapped[intpk]
    year: Mapped[int] = mapped_column(Integer, index=True)
    unit_id: Mapped[int] = fk("org_units.id")
    course_id: Mapped[int] = fk("courses.id")
    count: Mapped[int] = mapped_column(Integer)

    unit: Mapped[OrgUnit] = relationship()
    course: Mapped[Course] = relationship()


class TrainingClass(Base):
    """An in-person class of a course: place, dates, trainer, capacity, invited units, roster."""

    __tablename__ = "training_classes"

    id: Mapped[intpk]
    course_id: Mapped[int] = fk("courses.id")
    title: Mapped[str] = mapped_column(String(255))
    place: Mapped[str] = mapped_column(String(255), default="")
    starts_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    trainer: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=30)
    # The organising unit: the class belongs to this unit's subtree for scope checks.
    unit_id: Mapped[int] = fk("org_units.id")
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]

    course: Mapped[Course] = relationship()
    unit: Mapped[OrgUnit] = relationship()
    invited: Mapped[list[ClassUnit]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<TrainingClass {self.title!r}>"

    def session_dates(self) -> list[dt.date]:
        days = (self.ends_on - self.starts_on).days
        return [self.starts_on + dt.timedelta(days=i) for i in range(max(days, 0) + 1)]


class ClassUnit(Base):
    __tablename__ = "training_class_units"
    __table_args__ = (UniqueConstraint("class_id", "unit_id"),)

    id: Mapped[intpk]
    class_id: Mapped[int] = fk("training_classes.id")
    unit_id: Mapped[int] = fk("org_units.id")

    unit: Mapped[OrgUnit] = relationship()


class ClassMember(Base):
    """One person on a class's roster."""

    __tablename__ = "training_class_members"
    __table_args__ = (UniqueConstraint("class_id", "user_id"),)

    id: Mapped[intpk]
    class_id: Mapped[int] = fk("training_classes.id")
    user_id: Mapped[int] = fk("users.id")
    added_at: Mapped[created_at]


class Attendance(Base):
    """Whether a roster member was present on one session date."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("class_id", "user_id", "session_date"),)

    id: Mapped[intpk]
    class_id: Mapped[int] = fk("training_classes.id")
    user_id: Mapped[int] = fk("users.id")
    session_date: Mapped[dt.date] = mapped_column(Date, index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ImportKind(StrEnum):
    UNITS = "units"
    PEOPLE = "people"


class ImportStatus(StrEnum):
    VALIDATING = "validating"
    READY = "ready"  # validated without errors: may be committed
    INVALID = "invalid"  # validated with errors: nothing may be written
    DONE = "done"
    FAILED = "failed"


class ImportJob(Base):
    """An uploaded people/unit file, validated in bounded steps, then committed all at once."""

    __tablename__ = "training_import_jobs"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    # Normalised rows (JSON lines) under instance/imports/; read by byte offset.
    stored_path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.VALIDATING)
    encoding: Mapped[str] = mapped_column(String(30), default="")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    offset: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    deactivate_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_unit_id: Mapped[int | None] = fk("org_units.id", ondelete="SET NULL")
    created_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL")
    created_at: Mapped[created_at]
    finished_at: Mapped[dt.datetime | None]
    summary: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<ImportJob {self.kind} {self.filename} {self.status}>"


class ImportRow(Base):
    """A validated row waiting to be written (the staging area of an import job)."""

    __tablename__ = "training_import_rows"
    __table_args__ = (UniqueConstraint("job_id", "row_no"),)

    id: Mapped[intpk]
    job_id: Mapped[int] = fk("training_import_jobs.id")
    row_no: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(255), index=True)  # lower-case username or unit code
    email: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)  # matched existing person
    data: Mapped[dict] = mapped_column(JSON)


class ImportIssue(Base):
    """One problem found in an uploaded file: row, column, message (shown translated)."""

    __tablename__ = "training_import_errors"

    id: Mapped[intpk]
    job_id: Mapped[int] = fk("training_import_jobs.id")
    row_no: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(60), default="")
    code: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text, default="")


class NoticeMail(Base):
    """A notification e-mailed to a user: one row per user and notice key, so it is mailed once."""

    __tablename__ = "notice_mails"
    __table_args__ = (UniqueConstraint("user_id", "notice_key"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    notice_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    queued_at: Mapped[created_at]


class NoticePreference(Base):
    """Which notifications a user does NOT want by e-mail (none: all of them, the default)."""

    __tablename__ = "notice_preferences"

    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=False, primary_key=True)
    mail_off: Mapped[str] = mapped_column(String(200), default="")  # notice kinds, comma-separated

    def mails(self, kind: str) -> bool:
        return kind not in self.mail_off.split(",")
