"""Report aggregates, computed in SQL over the unit tree's materialised paths.

A row of the dashboard is a child unit ``c`` of the unit being viewed; its
figures cover every descendant ``d`` with ``d.path LIKE c.path || '%'``. Each
function runs a fixed number of statements whatever the number of units or people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, extract, func, literal, or_, select, union, union_all
from sqlalchemy.orm import Session, aliased

from lms.auth.models import User
from lms.catalog.models import Course
from lms.core.timefmt import local_midnight
from lms.db import utcnow
from lms.learning.models import Enrollment, EnrollmentSource
from lms.org.models import OrgUnit
from lms.training.models import Attendance, Target, TrainingClass


@dataclass(frozen=True)
class Filters:
    year: int
    course_id: int | None = None
    remote_only: bool = False
    qualification: str | None = None

    @property
    def start(self) -> dt.datetime:
        return local_midnight(dt.date(self.year, 1, 1))

    @property
    def end(self) -> dt.datetime:
        return local_midnight(dt.date(self.year + 1, 1, 1))


@dataclass
class UnitRow:
    unit_id: int
    code: str
    name: str
    is_remote: bool
    has_children: bool
    own: bool = False  # the viewed unit's own people (not in a sub-unit)
    staff: int = 0
    assigned: int = 0
    completed: int = 0
    in_progress: int = 0
    overdue: int = 0
    target: int = 0
    achieved: int = 0
    remote_units: int = 0
    remote_units_reached: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def target_percent(self) -> int | None:
        if not self.target:
            return None
        return round(100 * self.achieved / self.target)

    @property
    def completion_percent(self) -> int | None:
        if not self.assigned:
            return None
        return round(100 * self.completed / self.assigned)


def _mapping(root: OrgUnit, filters: Filters):
    """CTE (cid, did): each descendant d of a child c of root, plus root's own row (root, root)."""
    c = aliased(OrgUnit)
    d = aliased(OrgUnit)
    children = (
        select(c.id.label("cid"), d.id.label("did"))
        .join(d, d.path.startswith(c.path))
        .where(c.parent_id == root.id, c.is_active.is_(True))
    )
    own = select(literal(root.id).label("cid"), OrgUnit.id.label("did")).where(OrgUnit.id == root.id)
    if filters.remote_only:
        children = children.where(d.is_remote.is_(True))
        own = own.where(OrgUnit.is_remote.is_(True))
    return union_all(children, own).cte("m")


def _people(m, filters: Filters) -> Select:
    stmt = (
        select(m.c.cid, User.id.label("uid"))
        .join(User, User.org_unit_id == m.c.did)
        .where(User.is_active.is_(True))
    )
    if filters.qualification:
        stmt = stmt.where(User.it_qualification == filters.qualification)
    return stmt


def achievements(filters: Filters):
    """(user_id, course_id) pairs trained in the year: completed online, or present at a class."""
    done = select(Enrollment.user_id.label("user_id"), Enrollment.course_id.label("course_id")).where(
        Enrollment.completed_at >= filters.start, Enrollment.completed_at < filters.end
    )
    attended = (
        select(Attendance.user_id.label("user_id"), TrainingClass.course_id.label("course_id"))
        .join(TrainingClass, TrainingClass.id == Attendance.class_id)
        .where(
            Attendance.present.is_(True),
            Attendance.session_date >= dt.date(filters.year, 1, 1),
            Attendance.session_date < dt.date(filters.year + 1, 1, 1),
        )
    )
    if filters.course_id:
        done = done.where(Enrollment.course_id == filters.course_id)
        attended = attended.where(TrainingClass.course_id == filters.course_id)
    # Only courses the plan has a quota for count toward "% of target".
    planned = select(Target.course_id).where(Target.year == filters.year)
    done = done.where(Enrollment.course_id.in_(planned))
    attended = attended.where(TrainingClass.course_id.in_(planned))
    return union(done, attended).subquery("ach")


def unit_rows(session: Session, root: OrgUnit, filters: Filters) -> list[UnitRow]:
    """One row per child unit of root (plus root's own people), in five statements."""
    m = _mapping(root, filters)
    units = session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.is_remote, OrgUnit.parent_id).where(
            or_(OrgUnit.id == root.id, and_(OrgUnit.parent_id == root.id, OrgUnit.is_active.is_(True)))
        )
    ).all()
    child_ids = select(OrgUnit.parent_id).where(
        OrgUnit.parent_id.in_([u.id for u in units if u.id != root.id])
    )
    has_children = set(session.scalars(child_ids.distinct()))
    rows: dict[int, UnitRow] = {}
    for u in units:
        rows[u.id] = UnitRow(u.id, u.code, u.name, u.is_remote, u.id in has_children, own=u.id == root.id)

    people = _people(m, filters).subquery()
    for cid, staff in session.execute(select(people.c.cid, func.count()).group_by(people.c.cid)):
        rows[cid].staff = staff

    now = utcnow()
    in_year = and_(
        Enrollment.enrolled_at < filters.end,
        or_(Enrollment.completed_at.is_(None), Enrollment.completed_at >= filters.start),
    )
    e_stmt = (
        select(
            people.c.cid,
            func.count().filter(Enrollment.source == EnrollmentSource.ASSIGNED.value),
            func.count().filter(
                Enrollment.completed_at >= filters.start, Enrollment.completed_at < filters.end
            ),
            func.count().filter(Enrollment.completed_at.is_(None), Enrollment.progress_percent > 0),
            func.count().filter(Enrollment.completed_at.is_(None), Enrollment.due_at < now),
        )
        .join(Enrollment, Enrollment.user_id == people.c.uid)
        .where(in_year)
        .group_by(people.c.cid)
    )
    if filters.course_id:
        e_stmt = e_stmt.where(Enrollment.course_id == filters.course_id)
    for cid, assigned, completed, in_progress, overdue in session.execute(e_stmt):
        r = rows[cid]
        r.assigned, r.completed, r.in_progress, r.overdue = assigned, completed, in_progress, overdue

    t_stmt = (
        select(m.c.cid, func.sum(Target.count))
        .join(Target, Target.unit_id == m.c.did)
        .where(Target.year == filters.year)
        .group_by(m.c.cid)
    )
    if filters.course_id:
        t_stmt = t_stmt.where(Target.course_id == filters.course_id)
    for cid, total in session.execute(t_stmt):
        rows[cid].target = int(total or 0)

    ach = achievements(filters)
    a_stmt = (
        select(people.c.cid, func.count()).join(ach, ach.c.user_id == people.c.uid).group_by(people.c.cid)
    )
    for cid, achieved in session.execute(a_stmt):
        rows[cid].achieved = achieved

    ordered = [rows[u.id] for u in sorted(units, key=lambda u: (u.id != root.id, u.name))]
    own = ordered[0]
    if not own.staff and not own.assigned and not own.target:
        ordered = ordered[1:]
    return ordered


def totals(rows: list[UnitRow]) -> UnitRow:
    t = UnitRow(0, "", "", False, False)
    for r in rows:
        for name in ("staff", "assigned", "completed", "in_progress", "overdue", "target", "achieved"):
            setattr(t, name, getattr(t, name) + getattr(r, name))
    return t


# --- charts ----------------------------------------------------------------------------


def _subtree_people(root: OrgUnit, filters: Filters) -> Select:
    stmt = (
        select(User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.is_active.is_(True), OrgUnit.path.startswith(root.path))
    )
    if filters.remote_only:
        stmt = stmt.where(OrgUnit.is_remote.is_(True))
    if filters.qualification:
        stmt = stmt.where(User.it_qualification == filters.qualification)
    return stmt


def completions_by_month(session: Session, root: OrgUnit, filters: Filters) -> list[int]:
    """Completions per month (1–12) of the year in root's subtree (months by UTC)."""
    month = extract("month", Enrollment.completed_at)
    stmt = (
        select(month, func.count())
        .where(
            Enrollment.completed_at >= filters.start,
            Enrollment.completed_at < filters.end,
            Enrollment.user_id.in_(_subtree_people(root, filters)),
        )
        .group_by(month)
    )
    if filters.course_id:
        stmt = stmt.where(Enrollment.course_id == filters.course_id)
    counts = [0] * 12
    for m, n in session.execute(stmt):
        counts[int(m) - 1] += n
    return counts


def staff_by_qualification(session: Session, root: OrgUnit, filters: Filters) -> dict[str, int]:
    stmt = (
        select(User.it_qualification, func.count())
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.is_active.is_(True), OrgUnit.path.startswith(root.path))
        .group_by(User.it_qualification)
    )
    if filters.remote_only:
        stmt = stmt.where(OrgUnit.is_remote.is_(True))
    return dict(session.execute(stmt).tuples().all())


def remote_coverage(session: Session, root: OrgUnit, filters: Filters) -> tuple[int, int]:
    """(remote units in the subtree, of which with at least one person trained this year)."""
    ach = achievements(Filters(filters.year, filters.course_id))
    reached = (
        select(User.org_unit_id)
        .join(ach, ach.c.user_id == User.id)
        .where(User.org_unit_id == OrgUnit.id)
        .exists()
    )
    total, covered = session.execute(
        select(func.count(), func.count().filter(reached)).where(
            OrgUnit.path.startswith(root.path), OrgUnit.is_remote.is_(True), OrgUnit.is_active.is_(True)
        )
    ).one()
    return int(total), int(covered)


def classes_by_year(
    session: Session, root: OrgUnit, last_year: int, years: int = 5
) -> list[tuple[int, int, int]]:
    """(year, classes, present attendances) organised in root's subtree, for the last few years."""
    first = last_year - years + 1
    cls_year = extract("year", TrainingClass.starts_on)
    in_scope = TrainingClass.unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(root.path)))
    classes = dict(
        session.execute(
            select(cls_year, func.count())
            .where(
                in_scope,
                TrainingClass.starts_on >= dt.date(first, 1, 1),
                TrainingClass.starts_on < dt.date(last_year + 1, 1, 1),
            )
            .group_by(cls_year)
        ).all()
    )
    att_year = extract("year", Attendance.session_date)
    attendances = dict(
        session.execute(
            select(att_year, func.count())
            .join(TrainingClass, TrainingClass.id == Attendance.class_id)
            .where(
                in_scope,
                Attendance.present.is_(True),
                Attendance.session_date >= dt.date(first, 1, 1),
                Attendance.session_date < dt.date(last_year + 1, 1, 1),
            )
            .group_by(att_year)
        ).all()
    )
    return [
        (y, int(classes.get(y, 0) or 0), int(attendances.get(y, 0) or 0)) for y in range(first, last_year + 1)
    ]


# --- people ----------------------------------------------------------------------------


def people_page(
    session: Session, unit: OrgUnit, filters: Filters, *, page: int, per_page: int = 50, search: str = ""
) -> tuple[int, list[dict]]:
    """(total, rows) of people in unit's subtree with their figures for the year; two statements."""
    now = utcnow()
    base = (
        select(User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.is_active.is_(True), OrgUnit.path.startswith(unit.path))
    )
    if filters.remote_only:
        base = base.where(OrgUnit.is_remote.is_(True))
    if filters.qualification:
        base = base.where(User.it_qualification == filters.qualification)
    if search:
        like = f"%{search.lower()}%"
        base = base.where(or_(func.lower(User.full_name).like(like), func.lower(User.username).like(like)))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    enr = and_(Enrollment.user_id == User.id)
    if filters.course_id:
        enr = and_(enr, Enrollment.course_id == filters.course_id)
    stmt = (
        select(
            User.id,
            User.full_name,
            User.username,
            User.job_title,
            User.it_qualification,
            OrgUnit.name.label("unit_name"),
            func.count(Enrollment.id).label("enrolled"),
            func.count(Enrollment.id)
            .filter(Enrollment.completed_at >= filters.start, Enrollment.completed_at < filters.end)
            .label("completed"),
            func.count(Enrollment.id)
            .filter(Enrollment.completed_at.is_(None), Enrollment.due_at < now)
            .label("overdue"),
            func.coalesce(func.avg(case((Enrollment.id.is_not(None), Enrollment.progress_percent))), 0).label(
                "progress"
            ),
        )
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(Enrollment, enr)
        .where(User.id.in_(base))
        .group_by(User.id, User.full_name, User.username, User.job_title, User.it_qualification, OrgUnit.name)
        .order_by(User.full_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, [dict(r._mapping) for r in session.execute(stmt)]


def course_choices(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(select(Course.id, Course.title).order_by(Course.title)).tuples())


# --- export rows (streamed: server-side cursor, fixed statements) ----------------------


def people_detail_rows(session: Session, root: OrgUnit, filters: Filters):
    """One row per person × enrolment (people without enrolments appear once)."""
    now = utcnow()
    enr = Enrollment.user_id == User.id
    if filters.course_id:
        enr = and_(enr, Enrollment.course_id == filters.course_id)
    stmt = (
        select(
            OrgUnit.code,
            OrgUnit.name,
            User.full_name,
            User.username,
            User.email,
            User.job_title,
            User.it_qualification,
            Course.title,
            Enrollment.source,
            Enrollment.progress_percent,
            Enrollment.due_at,
            Enrollment.completed_at,
            case((and_(Enrollment.completed_at.is_(None), Enrollment.due_at < now), True), else_=False),
        )
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(Enrollment, enr)
        .outerjoin(Course, Course.id == Enrollment.course_id)
        .where(User.is_active.is_(True), OrgUnit.path.startswith(root.path))
        .order_by(OrgUnit.path, User.full_name, User.id, Course.title)
    )
    if filters.remote_only:
        stmt = stmt.where(OrgUnit.is_remote.is_(True))
    if filters.qualification:
        stmt = stmt.where(User.it_qualification == filters.qualification)
    yield from session.execute(stmt.execution_options(yield_per=2000))


def attendance_rows(session: Session, root: OrgUnit, filters: Filters):
    stmt = (
        select(
            TrainingClass.title,
            Course.title,
            TrainingClass.place,
            Attendance.session_date,
            User.full_name,
            User.username,
            OrgUnit.name,
            Attendance.present,
        )
        .join(TrainingClass, TrainingClass.id == Attendance.class_id)
        .join(Course, Course.id == TrainingClass.course_id)
        .join(User, User.id == Attendance.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            TrainingClass.unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(root.path))),
            Attendance.session_date >= dt.date(filters.year, 1, 1),
            Attendance.session_date < dt.date(filters.year + 1, 1, 1),
        )
        .order_by(TrainingClass.starts_on, TrainingClass.id, Attendance.session_date, User.full_name)
    )
    if filters.course_id:
        stmt = stmt.where(TrainingClass.course_id == filters.course_id)
    yield from session.execute(stmt.execution_options(yield_per=2000))


def person_attendance(session: Session, user_id: int):
    return session.execute(
        select(TrainingClass, Attendance.session_date, Attendance.present)
        .join(TrainingClass, TrainingClass.id == Attendance.class_id)
        .where(Attendance.user_id == user_id)
        .order_by(Attendance.session_date.desc())
    ).all()


# --- certificates and quiz scores, when those features are installed -------------------


def certificate_model():
    try:
        from lms.certificates.models import Certificate
    except ImportError:
        return None
    return Certificate


def attempt_model():
    try:
        from lms.quizzes.models import Attempt, Quiz
    except ImportError:
        return None
    return Attempt, Quiz


def person_certificates(session: Session, user_id: int) -> list[dict]:
    cert = certificate_model()
    if cert is None:
        return []
    rows = session.execute(
        select(cert.code, cert.course_title, cert.issued_at, cert.revoked_at)
        .where(cert.user_id == user_id)
        .order_by(cert.issued_at.desc())
    )
    return [{"code": c, "title": t, "issued_at": i, "revoked": r is not None} for c, t, i, r in rows]


def person_scores(session: Session, user_id: int) -> list[dict]:
    models = attempt_model()
    if models is None:
        return []
    attempt, quiz = models
    rows = session.execute(
        select(quiz.title, attempt.percent, attempt.passed, attempt.submitted_at)
        .join(quiz, quiz.id == attempt.quiz_id)
        .where(attempt.user_id == user_id, attempt.submitted_at.is_not(None))
        .order_by(attempt.submitted_at.desc())
        .limit(100)
    )
    return [{"title": t, "score": round(p or 0), "passed": bool(ok), "at": at} for t, p, ok, at in rows]


def certificate_rows(session: Session, root: OrgUnit, filters: Filters):
    cert = certificate_model()
    stmt = (
        select(
            cert.code,
            User.full_name,
            User.username,
            OrgUnit.name,
            cert.course_title,
            cert.issued_at,
            case((cert.revoked_at.is_not(None), "đã thu hồi"), else_="còn hiệu lực"),
        )
        .join(User, User.id == cert.user_id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            OrgUnit.path.startswith(root.path), cert.issued_at >= filters.start, cert.issued_at < filters.end
        )
        .order_by(OrgUnit.path, User.full_name, cert.issued_at)
    )
    if filters.course_id:
        stmt = stmt.where(cert.course_id == filters.course_id)
    yield from session.execute(stmt.execution_options(yield_per=2000))
