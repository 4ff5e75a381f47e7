"""Record xAPI statements in the outbox (in the event's own transaction), replay history, report backlog.

Receivers of the domain signals (connected in ``lms.xapi.init_app``) build the statements of an event
and add them to ``xapi_statements`` with the event's session: a rolled-back change leaves none, a
committed one leaves them for the ``xapi.send`` job (decision 1721). Nothing here talks to the LRS.
Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from lms.auth.models import User
from lms.catalog.models import Lesson
from lms.certificates.models import Certificate, IssueSource
from lms.db import utcnow
from lms.jobs import enqueue
from lms.jobs.models import Job, JobStatus
from lms.learning.models import Enrollment, LessonProgress
from lms.quizzes.models import Answer, Attempt, Quiz
from lms.training.models import Attendance, TrainingClass
from lms.xapi import statements as st
from lms.xapi.models import OutboxStatus, XapiStatement

SEND = "xapi.send"
PRUNE = "xapi.prune"
CHUNK = 500
T = TypeVar("T")


class XapiConfigError(RuntimeError):
    """The xAPI settings cannot work (e.g. pseudonymous ids without a key)."""


def enabled() -> bool:
    """Statements are recorded only when an LRS is configured (LMS_XAPI_ENDPOINT)."""
    return has_app_context() and bool(current_app.config.get("XAPI_ENDPOINT"))


def profile() -> st.Profile:
    cfg = current_app.config
    base = (cfg.get("XAPI_ACTIVITY_BASE") or cfg["PUBLIC_URL"]).rstrip("/")
    mode = cfg.get("XAPI_ACTOR", "account")
    if mode not in {"account", "pseudonymous", "mbox"}:
        raise XapiConfigError(f"LMS_XAPI_ACTOR must be account, pseudonymous or mbox, not {mode!r}")
    key = str(cfg.get("XAPI_PSEUDONYM_KEY") or "")
    if mode == "pseudonymous" and len(key) < 16:
        raise XapiConfigError("LMS_XAPI_ACTOR=pseudonymous needs LMS_XAPI_PSEUDONYM_KEY (16+ characters)")
    return st.Profile(
        base=base,
        actor=mode,
        homepage=(cfg.get("XAPI_ACCOUNT_HOMEPAGE") or base).rstrip("/"),
        pseudonym_key=key.encode(),
        platform=str(cfg.get("XAPI_PLATFORM") or "LMS"),
    )


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- the outbox ------------------------------------------------------------------------------------


def record(session: Session, statements: Iterable[st.Statement], *, resend: bool = False) -> int:
    """Add statements to the outbox (those already there are kept as they are). Flush only.

    ``resend``: statements already in the outbox are marked pending again (a replay to a new or
    emptied LRS); their stored JSON is sent unchanged, so the LRS sees the same statement.
    Returns how many were added.
    """
    unique = {s.statement_id: s for s in statements}
    added = 0
    for part in _chunks(list(unique.values())):
        ids = [s.statement_id for s in part]
        known = set(
            session.scalars(select(XapiStatement.statement_id).where(XapiStatement.statement_id.in_(ids)))
        )
        now = utcnow()
        rows = [
            {"statement_id": s.statement_id, "verb": s.verb, "statement": s.body, "created_at": now,
             "status": OutboxStatus.PENDING, "tries": 0, "last_error": ""}
            for s in part if s.statement_id not in known
        ]  # fmt: skip
        if rows:
            try:
                with session.begin_nested():
                    session.execute(insert(XapiStatement), rows)
            except IntegrityError:  # recorded meanwhile by another transaction: one by one
                for row in rows:
                    try:
                        with session.begin_nested():
                            session.execute(insert(XapiStatement), [row])
                            added += 1
                    except IntegrityError:
                        pass
            else:
                added += len(rows)
        if resend and known:
            session.execute(
                update(XapiStatement)
                .where(XapiStatement.statement_id.in_(known), XapiStatement.status != OutboxStatus.PENDING)
                .values(status=OutboxStatus.PENDING, sent_at=None, tries=0, last_error="")
                .execution_options(synchronize_session=False)
            )
    if unique:
        session.flush()
        trigger_send(session)
    return added


def trigger_send(session: Session) -> None:
    """Make sure a send job is waiting (one at a time; the periodic job covers the rest)."""
    waiting = session.scalar(
        select(Job.id)
        .where(Job.kind == SEND, Job.status.in_([JobStatus.QUEUED, JobStatus.RETRYING]))
        .limit(1)
    )
    if waiting is None:
        delay = float(current_app.config.get("XAPI_SEND_DELAY_SECONDS", 5)) if has_app_context() else 0.0
        enqueue(session, SEND, delay=delay or None)


@dataclass(frozen=True)
class Backlog:
    pending: int
    sent: int
    rejected: int
    failing: int  # pending with at least one failed try
    oldest_pending: dt.datetime | None
    last_error: str
    last_sent_at: dt.datetime | None


def backlog(session: Session) -> Backlog:
    """What the admin panel shows, in two statements."""
    counts = dict(
        session.execute(select(XapiStatement.status, func.count()).group_by(XapiStatement.status))
        .tuples()
        .all()
    )
    pending = XapiStatement.status == OutboxStatus.PENDING
    failing, oldest, last_sent = session.execute(
        select(
            func.count().filter(pending, XapiStatement.tries > 0),
            func.min(XapiStatement.created_at).filter(pending),
            func.max(XapiStatement.sent_at),
        )
    ).one()
    last_error = session.scalar(
        select(XapiStatement.last_error)
        .where(XapiStatement.last_error != "")
        .order_by(XapiStatement.id.desc())
        .limit(1)
    )
    return Backlog(
        pending=int(counts.get(OutboxStatus.PENDING, 0)),
        sent=int(counts.get(OutboxStatus.SENT, 0)),
        rejected=int(counts.get(OutboxStatus.REJECTED, 0)),
        failing=int(failing or 0),
        oldest_pending=oldest,
        last_error=last_error or "",
        last_sent_at=last_sent,
    )


def rejected(session: Session, limit: int = 20) -> list[XapiStatement]:
    return list(
        session.scalars(
            select(XapiStatement)
            .where(XapiStatement.status == OutboxStatus.REJECTED)
            .order_by(XapiStatement.id.desc())
            .limit(limit)
        )
    )


# --- builders over rows (shared by the receivers and the replay) ------------------------------------


def _users(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = sorted(set(ids))
    found: dict[int, User] = {}
    for part in _chunks(wanted):
        found.update({u.id: u for u in session.scalars(select(User).where(User.id.in_(part)))})
    return found


def _enrollment_ids(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """{(user id, course id): enrolment id} for the pairs asked."""
    pairs = set(pairs)
    users = sorted({u for u, _c in pairs})
    courses = sorted({c for _u, c in pairs})
    found: dict[tuple[int, int], int] = {}
    for part in _chunks(users):
        rows = session.execute(
            select(Enrollment.user_id, Enrollment.course_id, Enrollment.id).where(
                Enrollment.user_id.in_(part), Enrollment.course_id.in_(courses)
            )
        ).tuples()
        found.update({(u, c): i for u, c, i in rows})
    return found


def registered_statements(
    session: Session, p: st.Profile, enrollments: Sequence[Enrollment]
) -> list[st.Statement]:
    users = _users(session, (e.user_id for e in enrollments))
    return [st.registered(p, e, users[e.user_id]) for e in enrollments if e.user_id in users]


def course_completed_statements(
    session: Session, p: st.Profile, enrollments: Sequence[Enrollment]
) -> list[st.Statement]:
    users = _users(session, (e.user_id for e in enrollments))
    return [
        st.course_completed(p, e, users[e.user_id])
        for e in enrollments
        if e.completed_at is not None and e.user_id in users
    ]


def lesson_completed_statements(
    session: Session, p: st.Profile, rows: Sequence[tuple[LessonProgress, Enrollment]]
) -> list[st.Statement]:
    users = _users(session, (e.user_id for _lp, e in rows))
    lessons = {
        les.id: les
        for part in _chunks(sorted({lp.lesson_id for lp, _e in rows}))
        for les in session.scalars(
            select(Lesson).options(joinedload(Lesson.module)).where(Lesson.id.in_(part))
        )
    }
    return [
        st.lesson_completed(p, e, users[e.user_id], lessons[lp.lesson_id].module.key, lessons[lp.lesson_id],
                            lp.completed_at)
        for lp, e in rows
        if lp.completed_at is not None and lp.lesson_id in lessons and e.user_id in users
    ]  # fmt: skip


def attempt_statements(session: Session, p: st.Profile, attempts: Sequence[Attempt]) -> list[st.Statement]:
    """For each graded attempt: one ``answered`` per answered question, then ``passed`` or ``failed``."""
    graded = [a for a in attempts if a.graded_at is not None]
    if not graded:
        return []
    users = _users(session, (a.user_id for a in graded))
    quizzes = {
        q.id: q
        for q in session.scalars(
            select(Quiz).options(joinedload(Quiz.course)).where(Quiz.id.in_({a.quiz_id for a in graded}))
        )
    }
    enrolments = _enrollment_ids(session, ((a.user_id, quizzes[a.quiz_id].course_id) for a in graded))
    answers: dict[tuple[int, int], Answer] = {}
    for part in _chunks([a.id for a in graded]):
        for row in session.scalars(select(Answer).where(Answer.attempt_id.in_(part))):
            answers[(row.attempt_id, row.question_id)] = row
    out: list[st.Statement] = []
    for attempt in graded:
        user = users.get(attempt.user_id)
        if user is None:
            continue
        course = quizzes[attempt.quiz_id].course
        enrollment_id = enrolments.get((attempt.user_id, course.id))
        for entry in attempt.entries:
            ans = answers.get((attempt.id, entry.question_id))
            if ans is not None and ans.response not in (None, "", [], {}):
                out.append(st.answered(p, attempt, user, course, enrollment_id, entry, ans))
        out.append(st.quiz_result(p, attempt, user, course, enrollment_id))
    return out


def attended_statements(
    session: Session, p: st.Profile, cls: TrainingClass, marks: Sequence[tuple[int, dt.date]]
) -> list[st.Statement]:
    users = _users(session, (uid for uid, _d in marks))
    enrolments = _enrollment_ids(session, ((uid, cls.course_id) for uid, _d in marks))
    return [
        st.attended(p, cls, users[uid], day, enrolments.get((uid, cls.course_id)))
        for uid, day in marks
        if uid in users
    ]


def earned_statements(session: Session, p: st.Profile, certs: Sequence[Certificate]) -> list[st.Statement]:
    from lms.certificates.pdf import verify_url

    users = _users(session, (c.user_id for c in certs))
    return [st.earned(p, c, users[c.user_id], verify_url(c.code)) for c in certs if c.user_id in users]


# --- signal receivers (connected in init_app) ----------------------------------------------------------


def on_enrollments_created(sender: Any, *, session: Session, enrollment_ids: list[int], **_: Any) -> None:
    if not enabled():
        return
    p = profile()
    for part in _chunks(enrollment_ids):
        rows = session.scalars(
            select(Enrollment).options(joinedload(Enrollment.course)).where(Enrollment.id.in_(part))
        ).all()
        record(session, registered_statements(session, p, rows))


def on_lesson_opened(sender: Enrollment, *, session: Session, lesson_id: int, **_: Any) -> None:
    if not enabled():
        return
    lesson = session.scalar(select(Lesson).options(joinedload(Lesson.module)).where(Lesson.id == lesson_id))
    user = session.get(User, sender.user_id)
    if lesson is None or user is None:
        return
    p = profile()
    record(session, [st.launched(p, sender, user, lesson.module.key, lesson, utcnow())])


def on_lesson_completed(sender: Enrollment, *, session: Session, progress: LessonProgress, **_: Any) -> None:
    if enabled():
        record(session, lesson_completed_statements(session, profile(), [(progress, sender)]))


def on_enrollments_completed(
    sender: Any, *, session: Session, enrollments: list[Enrollment], **_: Any
) -> None:
    if enabled():
        record(session, course_completed_statements(session, profile(), enrollments))


def on_attempt_graded(sender: Attempt, *, session: Session, **_: Any) -> None:
    if enabled():
        record(session, attempt_statements(session, profile(), [sender]))


def on_attendance_marked(
    sender: TrainingClass, *, session: Session, marks: list[tuple[int, dt.date]], **_: Any
) -> None:
    if enabled():
        record(session, attended_statements(session, profile(), sender, marks))


def on_certificates_issued(
    sender: Any, *, session: Session, certificates: list[Certificate], **_: Any
) -> None:
    if enabled():
        record(session, earned_statements(session, profile(), certificates))


# --- replay ----------------------------------------------------------------------------------------------


def replay(session: Session, since: dt.datetime) -> dict[str, int]:
    """Regenerate the statements of everything since ``since`` and queue them (again) for the LRS.

    The ids are those recorded live, so nothing is duplicated: statements already in the outbox
    are only marked pending again (the LRS ignores a statement id it already stores). Lesson
    openings are not kept by the site, so they are not replayed. Flush only.
    """
    p = profile()
    counts: dict[str, int] = {}

    def add(name: str, found: list[st.Statement]) -> None:
        record(session, found, resend=True)
        counts[name] = counts.get(name, 0) + len(found)

    def paged(stmt: Any) -> Iterator[Sequence[Any]]:
        last = 0
        while True:
            rows = session.execute(stmt(last).limit(CHUNK)).all()
            if not rows:
                return
            yield rows
            last = rows[-1][0].id

    enrol = select(Enrollment).options(joinedload(Enrollment.course)).order_by(Enrollment.id)
    for rows in paged(lambda last: enrol.where(Enrollment.id > last, Enrollment.enrolled_at >= since)):
        add("registered", registered_statements(session, p, [r[0] for r in rows]))
    done = select(LessonProgress, Enrollment).join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
    for rows in paged(
        lambda last: done.where(LessonProgress.id > last, LessonProgress.completed_at >= since).order_by(
            LessonProgress.id
        )
    ):
        add("lesson_completed", lesson_completed_statements(session, p, [(r[0], r[1]) for r in rows]))
    graded = select(Attempt).options(joinedload(Attempt.quiz)).order_by(Attempt.id)
    for rows in paged(lambda last: graded.where(Attempt.id > last, Attempt.graded_at >= since)):
        add("attempts", attempt_statements(session, p, [r[0] for r in rows]))
    for rows in paged(lambda last: enrol.where(Enrollment.id > last, Enrollment.completed_at >= since)):
        add("course_completed", course_completed_statements(session, p, [r[0] for r in rows]))
    present = (
        select(Attendance)
        .where(Attendance.present.is_(True), Attendance.session_date >= since.date())
        .order_by(Attendance.id)
    )
    for rows in paged(lambda last: present.where(Attendance.id > last)):
        by_class: dict[int, list[tuple[int, dt.date]]] = {}
        for (a,) in rows:
            by_class.setdefault(a.class_id, []).append((a.user_id, a.session_date))
        classes = {
            c.id: c
            for c in session.scalars(
                select(TrainingClass)
                .options(joinedload(TrainingClass.course))
                .where(TrainingClass.id.in_(by_class))
            )
        }
        for class_id, marks in by_class.items():
            add("attended", attended_statements(session, p, classes[class_id], marks))
    certs = (
        select(Certificate)
        .options(joinedload(Certificate.course))
        .where(Certificate.source.in_([IssueSource.AUTO, IssueSource.MANUAL]))
        .order_by(Certificate.id)
    )
    for rows in paged(lambda last: certs.where(Certificate.id > last, Certificate.issued_at >= since)):
        add("earned", earned_statements(session, p, [r[0] for r in rows]))
    return counts
