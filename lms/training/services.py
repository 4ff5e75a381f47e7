"""Assignments, targets, classes and attendance. Services flush; views commit.

Assignments enrol people set-based (INSERT ... SELECT) so assigning a course to
a district of thousands of people costs a handful of statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from blinker import Namespace
from sqlalchemy import Select, and_, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.catalog.models import Course
from lms.core import audit
from lms.db import utcnow
from lms.learning.completion import Requirement, enrollments_created
from lms.learning.models import Enrollment, EnrollmentSource
from lms.learning.services import enroll_user, refresh_enrollments
from lms.org.models import OrgUnit, path_within
from lms.training.models import (
    Assignment,
    AssignmentMember,
    Attendance,
    ClassMember,
    ClassUnit,
    Target,
    TrainingClass,
)

signals = Namespace()
attendance_marked = signals.signal("attendance-marked")
"""Sent once per save or import that marks people present (sender=class, session=,
marks=[(user_id, date), ...] newly present), after the flush."""


class TrainingError(ValueError):
    """A request that breaks a training rule (shown to the officer)."""


# --- assignments -------------------------------------------------------------------------


def _assignment_people(assignment: Assignment) -> Select[tuple[int]]:
    """SELECT of the ids of the active people an assignment covers."""
    if assignment.unit_id is not None:
        unit_path = select(OrgUnit.path).where(OrgUnit.id == assignment.unit_id).scalar_subquery()
        stmt = (
            select(User.id)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(User.is_active.is_(True), OrgUnit.within(unit_path))
        )
        if assignment.job_title:
            stmt = stmt.where(func.lower(User.job_title) == assignment.job_title.lower())
        return stmt
    return (
        select(AssignmentMember.user_id)
        .join(User, User.id == AssignmentMember.user_id)
        .where(AssignmentMember.assignment_id == assignment.id, User.is_active.is_(True))
    )


def enroll_assignment(session: Session, assignment: Assignment) -> int:
    """Enrol everyone the assignment covers (set-based); tighten due dates. Returns new enrolments."""
    people = _assignment_people(assignment).subquery()
    already = select(Enrollment.user_id).where(Enrollment.course_id == assignment.course_id)
    new_ids = select(people.c[0]).where(people.c[0].not_in(already))
    now = utcnow()
    # RETURNING counts the new rows on every driver (psycopg reports -1 for INSERT … SELECT).
    new_rows = session.scalars(
        insert(Enrollment)
        .from_select(
            ["user_id", "course_id", "source", "enrolled_at", "due_at", "progress_percent"],
            select(
                new_ids.subquery().c[0],
                literal(assignment.course_id),
                literal(EnrollmentSource.ASSIGNED.value),
                literal(now, type_=Enrollment.__table__.c.enrolled_at.type),
                literal(assignment.due_at, type_=Enrollment.__table__.c.due_at.type),
                literal(0),
            ),
        )
        .returning(Enrollment.id)
    ).all()
    if new_rows:
        enrollments_created.send(None, session=session, enrollment_ids=list(new_rows))
    if assignment.due_at is not None:
        session.execute(
            update(Enrollment)
            .where(
                Enrollment.course_id == assignment.course_id,
                Enrollment.user_id.in_(select(people.c[0])),
                Enrollment.completed_at.is_(None),
                or_(Enrollment.due_at.is_(None), Enrollment.due_at > assignment.due_at),
            )
            .values(due_at=assignment.due_at)
            .execution_options(synchronize_session=False)
        )
    return len(new_rows)


def create_assignment(
    session: Session,
    *,
    course: Course,
    year: int,
    due_at: dt.datetime | None,
    unit: OrgUnit | None = None,
    job_title: str = "",
    people: Iterable[User] = (),
    owner: OrgUnit,
    by: User,
) -> tuple[Assignment, int]:
    """Assign course to a unit subtree (optionally one job title) or to listed people."""
    people = list(people)
    if not course.is_published:
        raise TrainingError("only a published course can be assigned")
    if unit is None and not people:
        raise TrainingError("choose a unit or list people")
    assignment = Assignment(
        course_id=course.id,
        year=year,
        due_at=due_at,
        unit_id=unit.id if unit else None,
        job_title=job_title.strip() if unit else "",
        owner_unit_id=unit.id if unit else owner.id,
        created_by_id=by.id,
    )
    session.add(assignment)
    session.flush()
    if unit is None and people:
        session.execute(
            insert(AssignmentMember), [{"assignment_id": assignment.id, "user_id": p.id} for p in people]
        )
    enrolled = enroll_assignment(session, assignment)
    audit.record(
        session,
        "assignment_created",
        actor_id=by.id,
        subject=f"assignment:{assignment.id}",
        course=course.id,
        unit=assignment.unit_id,
        enrolled=enrolled,
    )
    session.flush()
    return assignment, enrolled


def close_assignment(session: Session, assignment: Assignment, *, by: User) -> None:
    """Stop giving the assignment to new joiners (enrolments stay)."""
    assignment.closed_at = utcnow()
    audit.record(session, "assignment_closed", actor_id=by.id, subject=f"assignment:{assignment.id}")
    session.flush()


def open_assignments_for(session: Session, user: User) -> list[Assignment]:
    """Open unit assignments whose subtree contains the user's unit and whose job title fits."""
    if user.org_unit_id is None:
        return []
    unit_path = select(OrgUnit.path).where(OrgUnit.id == user.org_unit_id).scalar_subquery()
    now = utcnow()
    stmt = (
        select(Assignment)
        .join(OrgUnit, OrgUnit.id == Assignment.unit_id)
        .where(
            Assignment.closed_at.is_(None),
            or_(Assignment.due_at.is_(None), Assignment.due_at > now),
            path_within(unit_path, OrgUnit.path),
            or_(
                Assignment.job_title == "", func.lower(Assignment.job_title) == (user.job_title or "").lower()
            ),
        )
        .order_by(Assignment.due_at)
    )
    return list(session.scalars(stmt))


def give_open_assignments(session: Session, user: User) -> int:
    """A person joined or moved to a unit: enrol them in the unit's open assignments."""
    count = 0
    for assignment in open_assignments_for(session, user):
        enroll_user(
            session, user, assignment.course, source=EnrollmentSource.ASSIGNED, due_at=assignment.due_at
        )
        count += 1
    return count


def give_open_assignments_bulk(session: Session, user_ids_select: Select[tuple[int]]) -> None:
    """Set-based variant for imports: every open unit assignment, for the selected people."""
    now = utcnow()
    for assignment in session.scalars(
        select(Assignment).where(
            Assignment.unit_id.is_not(None),
            Assignment.closed_at.is_(None),
            or_(Assignment.due_at.is_(None), Assignment.due_at > now),
        )
    ):
        people = _assignment_people(assignment).where(User.id.in_(user_ids_select)).subquery()
        already = select(Enrollment.user_id).where(Enrollment.course_id == assignment.course_id)
        new_ids = session.scalars(
            insert(Enrollment)
            .from_select(
                ["user_id", "course_id", "source", "enrolled_at", "due_at", "progress_percent"],
                select(
                    people.c[0],
                    literal(assignment.course_id),
                    literal(EnrollmentSource.ASSIGNED.value),
                    literal(now, type_=Enrollment.__table__.c.enrolled_at.type),
                    literal(assignment.due_at, type_=Enrollment.__table__.c.due_at.type),
                    literal(0),
                ).where(people.c[0].not_in(already)),
            )
            .returning(Enrollment.id)
        ).all()
        if new_ids:
            enrollments_created.send(None, session=session, enrollment_ids=list(new_ids))


def on_user_unit_changed(sender: User, session: Session, **_kw: object) -> None:
    give_open_assignments(session, sender)


# --- targets -----------------------------------------------------------------------------


def set_target(
    session: Session, *, year: int, unit: OrgUnit, course: Course, count: int, by: User
) -> Target | None:
    """Create, change or (count 0) remove the quota for year × unit × course."""
    if count < 0:
        raise TrainingError("a target cannot be negative")
    target = session.scalars(
        select(Target).where(Target.year == year, Target.unit_id == unit.id, Target.course_id == course.id)
    ).first()
    if count == 0:
        if target is not None:
            session.delete(target)
        target = None
    elif target is None:
        target = Target(year=year, unit_id=unit.id, course_id=course.id, count=count)
        session.add(target)
    else:
        target.count = count
    audit.record(
        session,
        "target_set",
        actor_id=by.id,
        subject=f"unit:{unit.id}",
        course=course.id,
        year=year,
        count=count,
    )
    session.flush()
    return target


# --- classes and attendance --------------------------------------------------------------


def create_class(
    session: Session,
    *,
    course: Course,
    unit: OrgUnit,
    title: str,
    place: str,
    starts_on: dt.date,
    ends_on: dt.date,
    trainer: str,
    capacity: int,
    invited: Iterable[OrgUnit] = (),
    by: User,
) -> TrainingClass:
    if not course.is_published:
        raise TrainingError("only a published course can be taught in a class")
    if ends_on < starts_on:
        raise TrainingError("the class ends before it starts")
    cls = TrainingClass(
        course_id=course.id,
        unit_id=unit.id,
        title=title.strip(),
        place=place.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        trainer=trainer.strip(),
        capacity=capacity,
        created_by_id=by.id,
    )
    cls.invited = [ClassUnit(unit_id=u.id) for u in invited]
    session.add(cls)
    session.flush()
    audit.record(session, "class_created", actor_id=by.id, subject=f"class:{cls.id}", course=course.id)
    return cls


def roster_count(session: Session, cls: TrainingClass) -> int:
    return session.scalar(select(func.count()).where(ClassMember.class_id == cls.id)) or 0


def add_to_roster(session: Session, cls: TrainingClass, user_ids: Iterable[int], *, by: User) -> int:
    """Add people to the roster up to capacity; returns how many were added."""
    wanted = list(dict.fromkeys(user_ids))
    present = set(session.scalars(select(ClassMember.user_id).where(ClassMember.class_id == cls.id)))
    new = [uid for uid in wanted if uid not in present]
    room = max(cls.capacity - len(present), 0)
    if len(new) > room:
        raise TrainingError("the class is full")
    if new:
        session.execute(insert(ClassMember), [{"class_id": cls.id, "user_id": uid} for uid in new])
        course = session.get_one(Course, cls.course_id)
        for user in session.scalars(select(User).where(User.id.in_(new))):
            enroll_user(session, user, course, source=EnrollmentSource.ASSIGNED)
        audit.record(session, "class_roster_added", actor_id=by.id, subject=f"class:{cls.id}", added=len(new))
    session.flush()
    return len(new)


def invited_people(cls: TrainingClass) -> Select[tuple[User]]:
    """SELECT of active people in the invited units' subtrees who are not on the roster yet."""
    invited_paths = (
        select(OrgUnit.path)
        .join(ClassUnit, ClassUnit.unit_id == OrgUnit.id)
        .where(ClassUnit.class_id == cls.id)
    )
    inv = invited_paths.subquery()
    return (
        select(User)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            User.is_active.is_(True),
            exists().where(OrgUnit.within(inv.c.path)),
            User.id.not_in(select(ClassMember.user_id).where(ClassMember.class_id == cls.id)),
        )
        .order_by(OrgUnit.path, User.full_name)
    )


def remove_from_roster(session: Session, cls: TrainingClass, user_id: int, *, by: User) -> None:
    session.execute(delete(ClassMember).where(ClassMember.class_id == cls.id, ClassMember.user_id == user_id))
    session.execute(delete(Attendance).where(Attendance.class_id == cls.id, Attendance.user_id == user_id))
    audit.record(session, "class_roster_removed", actor_id=by.id, subject=f"class:{cls.id}", user=user_id)
    session.flush()


class AttendanceSaved(NamedTuple):
    present: int
    absent: int
    changed: int  # rows written (new or flipped); 0 = nothing was written, not even an audit event


def record_attendance(
    session: Session, cls: TrainingClass, session_date: dt.date, absent_ids: Iterable[int], *, by: User
) -> AttendanceSaved:
    """Everyone on the roster is present on session_date except absent_ids.

    Only what changed is written; saving an unchanged sheet writes nothing (no rows, no audit
    event, no completion re-check), and only people newly marked present are re-checked.
    """
    if session_date not in cls.session_dates():
        raise TrainingError("this date is not one of the class's dates")
    roster = list(session.scalars(select(ClassMember.user_id).where(ClassMember.class_id == cls.id)))
    absent = set(absent_ids) & set(roster)
    existing = {
        a.user_id: a
        for a in session.scalars(
            select(Attendance).where(Attendance.class_id == cls.id, Attendance.session_date == session_date)
        )
    }
    new_rows = []
    newly_present = []
    changed = 0
    for uid in roster:
        present = uid not in absent
        row = existing.get(uid)
        if row is None:
            new_rows.append(
                {
                    "class_id": cls.id,
                    "user_id": uid,
                    "session_date": session_date,
                    "present": present,
                    "recorded_by_id": by.id,
                    "recorded_at": utcnow(),
                }
            )
        elif row.present != present:
            row.present = present
            row.recorded_by_id = by.id
        else:
            continue
        changed += 1
        if present:
            newly_present.append(uid)
    saved = AttendanceSaved(len(roster) - len(absent), len(absent), changed)
    if not changed:
        return saved
    if new_rows:
        session.execute(insert(Attendance), new_rows)
    session.flush()
    if newly_present:
        attendance_marked.send(cls, session=session, marks=[(uid, session_date) for uid in newly_present])
    refresh_class_enrollments(session, cls, newly_present)
    audit.record(
        session,
        "attendance_recorded",
        actor_id=by.id,
        subject=f"class:{cls.id}",
        date=session_date.isoformat(),
        present=saved.present,
        absent=saved.absent,
        changed=changed,
    )
    return saved


def refresh_class_enrollments(session: Session, cls: TrainingClass, user_ids: list[int]) -> None:
    """Attendance may complete a course that requires it: re-check those people's enrolments."""
    course = session.get(Course, cls.course_id)
    if course is None or not course.require_attendance or not user_ids:
        return
    enrollments = session.scalars(
        select(Enrollment).where(
            Enrollment.course_id == cls.course_id,
            Enrollment.user_id.in_(user_ids),
            Enrollment.completed_at.is_(None),
        )
    ).all()
    refresh_enrollments(session, enrollments)  # set-based: a class of 30 costs what a class of 5 does


def attendance_requirement(session: Session, enrollment: Enrollment) -> Requirement | None:
    """Completion rule for courses that require attendance: present at a class of the course at least once."""
    course = enrollment.course
    if not course.require_attendance:
        return None
    attended = session.scalar(
        select(
            exists().where(
                Attendance.user_id == enrollment.user_id,
                Attendance.present.is_(True),
                Attendance.class_id == TrainingClass.id,
                TrainingClass.course_id == enrollment.course_id,
            )
        )
    )
    from flask_babel import lazy_gettext as _l

    # A lazy string: rendered in the reader's language, and safe outside a request (CLI, demo data).
    return Requirement("attendance", _l("Attended the in-person class"), bool(attended))


def attendance_requirements_many(
    session: Session, enrollments: Sequence[Enrollment]
) -> dict[int, Requirement | None]:
    """attendance_requirement for many enrolments: one statement."""
    from flask_babel import lazy_gettext as _l

    wanted = [e for e in enrollments if e.course.require_attendance]
    attended: set[tuple[int, int]] = set()
    if wanted:
        attended = set(
            session.execute(
                select(TrainingClass.course_id, Attendance.user_id)
                .join(TrainingClass, TrainingClass.id == Attendance.class_id)
                .where(
                    Attendance.present.is_(True),
                    Attendance.user_id.in_({e.user_id for e in wanted}),
                    TrainingClass.course_id.in_({e.course_id for e in wanted}),
                )
                .distinct()
            ).tuples()
        )
    label = _l("Attended the in-person class")
    return {
        e.id: Requirement("attendance", label, (e.course_id, e.user_id) in attended)
        if e.course.require_attendance
        else None
        for e in enrollments
    }


def attendance_sheet(
    session: Session, cls: TrainingClass, session_date: dt.date
) -> list[tuple[User, bool | None]]:
    """Roster with the recorded presence on that date (None: not recorded yet)."""
    rows = session.execute(
        select(User, Attendance.present)
        .join(ClassMember, and_(ClassMember.user_id == User.id, ClassMember.class_id == cls.id))
        .outerjoin(
            Attendance,
            and_(
                Attendance.class_id == cls.id,
                Attendance.user_id == User.id,
                Attendance.session_date == session_date,
            ),
        )
        .order_by(User.full_name, User.id)
    ).all()
    return [(u, p) for u, p in rows]


def import_attendance(
    session: Session, cls: TrainingClass, rows: Iterable[tuple[int, dict[str, str]]], *, by: User
) -> list[tuple[int, str, str]]:
    """Apply an attendance CSV (login, date, present) all-or-nothing; returns problems (row, code, value)."""
    from lms.core.text import fold

    rows = list(rows)
    logins = {r["login"].lower() for _, r in rows if r["login"]}
    people = {}
    if logins:
        for u in session.scalars(
            select(User).where(or_(func.lower(User.username).in_(logins), func.lower(User.email).in_(logins)))
        ):
            people[u.username.lower()] = u
            if u.email:
                people[u.email.lower()] = u
    roster = set(session.scalars(select(ClassMember.user_id).where(ClassMember.class_id == cls.id)))
    dates = set(cls.session_dates())
    problems: list[tuple[int, str, str]] = []
    marks: dict[tuple[int, dt.date], bool] = {}
    for row_no, r in rows:
        user = people.get(r["login"].lower())
        if user is None:
            problems.append((row_no, "unknown_person", r["login"]))
            continue
        if user.id not in roster:
            problems.append((row_no, "not_on_roster", r["login"]))
            continue
        day = _parse_date(r["date"])
        if day is None or day not in dates:
            problems.append((row_no, "bad_date", r["date"]))
            continue
        flag = fold(r["present"])
        if flag in {"", "1", "co", "x", "yes", "true", "co mat"}:
            present = True
        elif flag in {"0", "khong", "no", "false", "vang", "vang mat"}:
            present = False
        else:
            problems.append((row_no, "bad_present", r["present"]))
            continue
        marks[(user.id, day)] = present
    if problems:
        return problems
    existing = {
        (a.user_id, a.session_date): a
        for a in session.scalars(select(Attendance).where(Attendance.class_id == cls.id))
    }
    new_rows = []
    for (uid, day), present in marks.items():
        row = existing.get((uid, day))
        if row is None:
            new_rows.append(
                {"class_id": cls.id, "user_id": uid, "session_date": day, "present": present,
                 "recorded_by_id": by.id, "recorded_at": utcnow()}
            )  # fmt: skip
        else:
            row.present = present
    if new_rows:
        session.execute(insert(Attendance), new_rows)
    session.flush()
    came = [(uid, day) for (uid, day), p in marks.items() if p]
    if came:
        attendance_marked.send(cls, session=session, marks=came)
    refresh_class_enrollments(session, cls, [uid for uid, _day in came])
    audit.record(session, "attendance_imported", actor_id=by.id, subject=f"class:{cls.id}", rows=len(marks))
    return []


def _parse_date(value: str) -> dt.date | None:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def class_members_matching(session: Session, value: str) -> Select[tuple[int]]:
    """SELECT of user ids on the roster of the class with that id, or of classes whose title contains value."""
    stmt = select(ClassMember.user_id).join(TrainingClass, TrainingClass.id == ClassMember.class_id)
    if value.isdigit():
        return stmt.where(TrainingClass.id == int(value))
    return stmt.where(TrainingClass.title.icontains(value, autoescape=True))


def classes_of(session: Session, user: User, course: Course) -> list[TrainingClass]:
    """The classes of this course whose roster has the user, soonest first (one statement)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        session.scalars(
            select(TrainingClass)
            .join(ClassMember, ClassMember.class_id == TrainingClass.id)
            .where(ClassMember.user_id == user.id, TrainingClass.course_id == course.id)
            .order_by(TrainingClass.starts_on)
        )
    )
