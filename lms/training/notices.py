"""A learner's notifications and calendar feed, derived from what is already stored.

Notifications are not rows: they are read from enrolments (new assignment, due in 7 days / 1 day,
overdue), certificates (ready in the last 30 days) and class rosters (class tomorrow), in three
statements. The iCalendar feed lists due dates and class days; its URL carries a token derived
from the secret key, the user id and the session version, so changing the password (which bumps
the session version) gives a new URL and the old one stops working. Decision 1606.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.core.timefmt import local_date, to_local
from lms.learning.models import Enrollment
from lms.training.models import ClassMember, TrainingClass

NEW_ASSIGNMENT_DAYS = 14
CERTIFICATE_DAYS = 30
KINDS = ("assigned", "due_soon", "due_tomorrow", "overdue", "certificate", "class_tomorrow")


@dataclass(frozen=True)
class Notice:
    """One notification: its facts, its text in the current language (``text``), a stable ``key``.

    The key names the fact it is about (an enrolment and its due day, a certificate, a class and its
    first day): e-mail is sent once per user and key (``lms.training.notice_mail``).
    """

    kind: str  # one of KINDS
    key: str
    course: str
    slug: str | None = None  # course page to open, when there is one
    day: dt.date | None = None
    days: int = 0
    place: str = ""
    urgent: bool = False

    @property
    def text(self) -> str:
        day = local_date(self.day) if self.day else ""
        if self.kind == "overdue":
            return _("Overdue since %(date)s: %(course)s", date=day, course=self.course)
        if self.kind == "due_tomorrow":
            return _("Due by %(date)s: %(course)s", date=day, course=self.course)
        if self.kind == "due_soon":
            return _("Due in %(n)d days (%(date)s): %(course)s", n=self.days, date=day, course=self.course)
        if self.kind == "assigned" and self.day:
            return _("New course assigned to you: %(course)s, due %(date)s", course=self.course, date=day)
        if self.kind == "assigned":
            return _("New course assigned to you: %(course)s", course=self.course)
        if self.kind == "certificate":
            return _("Your certificate is ready: %(course)s", course=self.course)
        place = self.place or _("to be announced")
        return _("Class tomorrow: %(title)s, %(place)s", title=self.course, place=place)


def _enrolment_notices(
    session: Session, now: dt.datetime, today: dt.date, users: ColumnElement[bool]
) -> Iterator[tuple[int, Notice]]:
    """Due in 7 days / 1 day, overdue, newly assigned: open enrolments that can give one (one statement)."""
    rows = session.execute(
        select(
            Enrollment.id,
            Enrollment.user_id,
            Enrollment.due_at,
            Enrollment.source,
            Enrollment.enrolled_at,
            Course.title,
            Course.slug,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(users, Enrollment.completed_at.is_(None))
        .where(
            or_(
                Enrollment.due_at <= now + dt.timedelta(days=9),
                and_(
                    Enrollment.source == "assigned",
                    Enrollment.enrolled_at >= now - dt.timedelta(days=NEW_ASSIGNMENT_DAYS),
                ),
            )
        )
    )
    for enrollment_id, user_id, due_at, source, enrolled_at, title, slug in rows:
        due = to_local(due_at).date() if due_at else None
        if due is not None and due < today:
            yield user_id, Notice("overdue", f"overdue:{enrollment_id}:{due}", title, slug, due, urgent=True)
        elif due is not None and due <= today + dt.timedelta(days=1):
            yield (
                user_id,
                Notice("due_tomorrow", f"due1:{enrollment_id}:{due}", title, slug, due, urgent=True),
            )
        elif due is not None and due <= today + dt.timedelta(days=7):
            yield (
                user_id,
                Notice("due_soon", f"due7:{enrollment_id}:{due}", title, slug, due, (due - today).days),
            )
        if source == "assigned" and enrolled_at >= now - dt.timedelta(days=NEW_ASSIGNMENT_DAYS):
            yield user_id, Notice("assigned", f"assigned:{enrollment_id}", title, slug, due)


def _certificate_notices(
    session: Session, now: dt.datetime, users: ColumnElement[bool]
) -> Iterator[tuple[int, Notice]]:
    """Certificates issued in the last 30 days and not revoked (one statement)."""
    for cert_id, user_id, title, slug in session.execute(
        select(Certificate.id, Certificate.user_id, Certificate.course_title, Course.slug)
        .join(Course, Course.id == Certificate.course_id)
        .where(
            users,
            Certificate.revoked_at.is_(None),
            Certificate.issued_at >= now - dt.timedelta(days=CERTIFICATE_DAYS),
        )
    ):
        yield user_id, Notice("certificate", f"certificate:{cert_id}", title, slug)


def _class_notices(
    session: Session, today: dt.date, users: ColumnElement[bool]
) -> Iterator[tuple[int, Notice]]:
    """Classes starting tomorrow on the user's roster (one statement)."""
    tomorrow = today + dt.timedelta(days=1)
    for class_id, user_id, title, place, slug in session.execute(
        select(TrainingClass.id, ClassMember.user_id, TrainingClass.title, TrainingClass.place, Course.slug)
        .join(ClassMember, ClassMember.class_id == TrainingClass.id)
        .join(Course, Course.id == TrainingClass.course_id)
        .where(users, TrainingClass.starts_on == tomorrow)
    ):
        yield (
            user_id,
            Notice(
                "class_tomorrow",
                f"class:{class_id}:{tomorrow}",
                title,
                slug,
                tomorrow,
                place=place,
                urgent=True,
            ),
        )


def collect_notices(
    session: Session, now: dt.datetime, user_ids: list[int] | None = None
) -> dict[int, list[Notice]]:
    """Notifications of the given users (None: everyone), most urgent first, in three statements."""
    today = to_local(now).date()

    def users(column: Any) -> ColumnElement[bool]:
        return column.in_(user_ids) if user_ids is not None else true()

    found: dict[int, list[Notice]] = {}
    for user_id, notice in (
        *_enrolment_notices(session, now, today, users(Enrollment.user_id)),
        *_certificate_notices(session, now, users(Certificate.user_id)),
        *_class_notices(session, today, users(ClassMember.user_id)),
    ):
        found.setdefault(user_id, []).append(notice)
    for notices in found.values():
        notices.sort(key=lambda n: not n.urgent)
    return found


def notices_for(session: Session, user: User, now: dt.datetime) -> list[Notice]:
    """The user's current notifications, most urgent first (three statements)."""
    return collect_notices(session, now, [user.id]).get(user.id, [])


# --- calendar feed ------------------------------------------------------------------------


def calendar_token(user: User) -> str:
    """The secret in the user's feed URL (changes with the session version, i.e. a new password)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"calendar:{user.id}:{user.session_version}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def token_matches(user: User, token: str) -> bool:
    return hmac.compare_digest(calendar_token(user), token)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > 75:
            out.append(current.decode())
            current = b" "
        current += b
    out.append(current.decode())
    return "\r\n".join(out)


def _event(uid: str, start: dt.date, end: dt.date, summary: str, stamp: str, location: str = "") -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
        f"DTEND;VALUE=DATE:{end:%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
    ]
    if location:
        lines.append(f"LOCATION:{_escape(location)}")
    return [*lines, "END:VEVENT"]


def calendar_feed(session: Session, user: User, now: dt.datetime, host: str) -> str:
    """An iCalendar (RFC 5545) text: one all-day event per due date and per class (two statements)."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//lms//hoc-truc-tuyen//VI",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(_('Online learning'))}",
    ]
    for enrollment_id, due_at, title in session.execute(
        select(Enrollment.id, Enrollment.due_at, Course.title)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.user_id == user.id, Enrollment.completed_at.is_(None), Enrollment.due_at.is_not(None)
        )
    ):
        day = to_local(due_at).date()
        summary = _("Due: %(course)s", course=title)
        lines += _event(f"due-{enrollment_id}@{host}", day, day + dt.timedelta(days=1), summary, stamp)
    for cls in session.scalars(
        select(TrainingClass)
        .join(ClassMember, ClassMember.class_id == TrainingClass.id)
        .where(ClassMember.user_id == user.id)
    ):
        end = cls.ends_on + dt.timedelta(days=1)
        summary = _("Class: %(title)s", title=cls.title)
        lines += _event(f"class-{cls.id}@{host}", cls.starts_on, end, summary, stamp, cls.place)
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
