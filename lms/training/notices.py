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
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.core.timefmt import local_date, to_local
from lms.learning.models import Enrollment
from lms.training.models import ClassMember, TrainingClass

NEW_ASSIGNMENT_DAYS = 14
CERTIFICATE_DAYS = 30


@dataclass(frozen=True)
class Notice:
    kind: str  # assigned | due_soon | due_tomorrow | overdue | certificate | class_tomorrow
    text: str
    slug: str | None = None  # course page to open, when there is one
    urgent: bool = False


def notices_for(session: Session, user: User, now: dt.datetime) -> list[Notice]:
    """The user's current notifications, most urgent first (three statements)."""
    today = to_local(now).date()
    notices: list[Notice] = []
    rows = session.execute(
        select(Enrollment, Course.title, Course.slug)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user.id, Enrollment.completed_at.is_(None))
    ).all()
    for enrollment, title, slug in rows:
        due = to_local(enrollment.due_at).date() if enrollment.due_at else None
        if due is not None and due < today:
            notices.append(
                Notice(
                    "overdue",
                    _("Overdue since %(date)s: %(course)s", date=local_date(due), course=title),
                    slug,
                    True,
                )
            )
        elif due is not None and due <= today + dt.timedelta(days=1):
            notices.append(
                Notice(
                    "due_tomorrow",
                    _("Due by %(date)s: %(course)s", date=local_date(due), course=title),
                    slug,
                    True,
                )
            )
        elif due is not None and due <= today + dt.timedelta(days=7):
            notices.append(
                Notice(
                    "due_soon",
                    _(
                        "Due in %(n)d days (%(date)s): %(course)s",
                        n=(due - today).days,
                        date=local_date(due),
                        course=title,
                    ),
                    slug,
                )
            )
        if enrollment.source == "assigned" and enrollment.enrolled_at >= now - dt.timedelta(
            days=NEW_ASSIGNMENT_DAYS
        ):
            text = (
                _("New course assigned to you: %(course)s, due %(date)s", course=title, date=local_date(due))
                if due
                else _("New course assigned to you: %(course)s", course=title)
            )
            notices.append(Notice("assigned", text, slug))
    for course_title, slug in session.execute(
        select(Certificate.course_title, Course.slug)
        .join(Course, Course.id == Certificate.course_id)
        .where(
            Certificate.user_id == user.id,
            Certificate.revoked_at.is_(None),
            Certificate.issued_at >= now - dt.timedelta(days=CERTIFICATE_DAYS),
        )
    ):
        notices.append(
            Notice("certificate", _("Your certificate is ready: %(course)s", course=course_title), slug)
        )
    tomorrow = today + dt.timedelta(days=1)
    for cls, slug in session.execute(
        select(TrainingClass, Course.slug)
        .join(ClassMember, ClassMember.class_id == TrainingClass.id)
        .join(Course, Course.id == TrainingClass.course_id)
        .where(ClassMember.user_id == user.id, TrainingClass.starts_on == tomorrow)
    ):
        place = cls.place or _("to be announced")
        notices.append(
            Notice(
                "class_tomorrow",
                _("Class tomorrow: %(title)s, %(place)s", title=cls.title, place=place),
                slug,
                True,
            )
        )
    notices.sort(key=lambda n: not n.urgent)
    return notices


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
