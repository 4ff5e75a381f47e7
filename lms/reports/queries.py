"""Report aggregates, computed in SQL over the unit tree's materialised paths.

A row of the dashboard is a child unit ``c`` of the unit being viewed; its
figures cover every descendant ``d`` with ``d.path LIKE c.path || '%'``. Each
function runs a fixed number of statements whatever the number of units or people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.catalog.models import Course, CourseStatus
from lms.certificates.models import Certificate
from lms.core.timefmt import local_midnight
from lms.db import utcnow
from lms.learning.models import Enrollment, EnrollmentSource
from lms.org.models import OrgUnit
from lms.quizzes.models import Attempt, Quiz
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

    @property
    def month_starts(self) -> list[dt.datetime]:
        """Thirteen bounds: the start of each month of the year (Vietnam time), then the year's end."""
        return [local_midnight(dt.date(self.year, m, 1)) for m in range(1, 13)] + [self.end]


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


@dataclass
class Figures:
    """Everything the dashboard shows for one unit, from a fixed number of statements."""

    rows: list[UnitRow]
    months: list[int]  # completions per month (1–12, Vietnam time) of the year in the subtree
    qualifications: dict[str, int]  # staff by IT qualification in the subtree
    remote_total: int = 0  # active remote units in the subtree
    remote_reached: int = 0  # of which with at least one person trained this year


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    name: str
    is_remote: bool
    is_active: bool
    parent_id: int | None
    path: str


def _subtree(session: Session, root: OrgUnit) -> list[_Unit]:
    """Every unit in root's subtree (root included): one indexed statement, at most a few hundred rows."""
    stmt = select(
        OrgUnit.id,
        OrgUnit.code,
        OrgUnit.name,
        OrgUnit.is_remote,
        OrgUnit.is_active,
        OrgUnit.parent_id,
        OrgUnit.path,
    ).where(OrgUnit.within(root))
    return [_Unit(*r) for r in session.execute(stmt)]


def _row_of(root: OrgUnit, units: list[_Unit], filters: Filters) -> dict[int, int]:
    """Unit id -> the dashboard row it rolls up into: the active child of root above it, or root itself.

    This is the (child, descendant) mapping of decision 0702, computed once from the paths already
    read instead of as a path-prefix self-join in every aggregate (decision 1902).
    """
    active_children = {u.id for u in units if u.parent_id == root.id and u.is_active}
    prefix = len(root.path)
    mapping: dict[int, int] = {}
    for u in units:
        if filters.remote_only and not u.is_remote:
            continue
        if u.id == root.id:
            mapping[u.id] = root.id
            continue
        child = int(u.path[prefix:].split("/", 1)[0])
        if child in active_children:
            mapping[u.id] = child
    return mapping


def _planned(filters: Filters) -> Select:
    """Courses the plan has a quota for this year: only they count toward "% of target"."""
    # DISTINCT: a handful of courses, not one row per unit's quota (PostgreSQL otherwise may loop
    # over every quota of the year for each attendance when it misjudges the rows before it).
    return select(Target.course_id).where(Target.year == filters.year).distinct()


def figures(session: Session, root: OrgUnit, filters: Filters, *, charts: bool = True) -> Figures:
    """Rows per child unit of root (plus root's own people) and the chart figures.

    Five statements (six with ``charts`` for remote coverage), whatever the size of the subtree.
    Every aggregate is pushed down to the people of the subtree's units and grouped by the person's
    own unit; the roll-up to rows happens here, over at most a few hundred groups.
    """
    units = _subtree(session, root)
    row_of = _row_of(root, units, filters)
    # Units counted at all: the subtree (minus non-remote units when filtering on remote ones).
    counted = sorted(u.id for u in units if u.is_remote or not filters.remote_only)

    shown = [u for u in units if u.id == root.id or (u.parent_id == root.id and u.is_active)]
    parents = {u.parent_id for u in units}
    rows: dict[int, UnitRow] = {
        u.id: UnitRow(u.id, u.code, u.name, u.is_remote, u.id in parents, own=u.id == root.id) for u in shown
    }
    by_unit = _RowsByUnit(rows, row_of)

    people: list[ColumnElement[bool]] = [User.is_active.is_(True), User.org_unit_id.in_(counted)]
    if filters.qualification:
        people.append(User.it_qualification == filters.qualification)
    quals = _add_staff(session, by_unit, counted, filters)
    months = _add_enrolments(session, by_unit, people, filters)
    _add_targets(session, by_unit, counted, filters)
    _add_attended(session, by_unit, people, filters)

    ordered = [rows[u.id] for u in sorted(shown, key=lambda u: (u.id != root.id, u.name))]
    own = ordered[0]
    if not own.staff and not own.assigned and not own.target:
        ordered = ordered[1:]
    result = Figures(ordered, months, quals)
    if charts:
        result.remote_total, result.remote_reached = _remote_coverage(session, root, filters)
    return result


@dataclass
class _RowsByUnit:
    """The shown rows, reached from any unit of the subtree (a person's unit rolls up to one row)."""

    rows: dict[int, UnitRow]
    row_of: dict[int, int]

    def get(self, unit_id: int | None) -> UnitRow | None:
        row = self.row_of.get(unit_id) if unit_id is not None else None
        return self.rows[row] if row is not None else None


def _add_staff(
    session: Session, by_unit: _RowsByUnit, counted: list[int], filters: Filters
) -> dict[str, int]:
    """Staff per row; returns people per IT qualification (the chart ignores that filter)."""
    quals: dict[str, int] = {}
    staff_stmt = (
        select(User.org_unit_id, User.it_qualification, func.count())
        .where(User.is_active.is_(True), User.org_unit_id.in_(counted))
        .group_by(User.org_unit_id, User.it_qualification)
    )
    for unit_id, qual, n in session.execute(staff_stmt):
        quals[qual] = quals.get(qual, 0) + n
        row = by_unit.get(unit_id)
        if row is not None and (not filters.qualification or qual == filters.qualification):
            row.staff += n
    return quals


def _completed_in_year(filters: Filters) -> ColumnElement[bool]:
    return and_(Enrollment.completed_at >= filters.start, Enrollment.completed_at < filters.end)


def _add_enrolments(
    session: Session, by_unit: _RowsByUnit, people: list[ColumnElement[bool]], filters: Filters
) -> list[int]:
    """Assigned, completed, in progress, overdue and online "achieved" per row; returns the 12 months."""
    now = utcnow()
    completed = _completed_in_year(filters)
    # Twelve counts rather than GROUP BY month: one pass, no sort (decision 1902).
    bounds = filters.month_starts
    per_month = [
        func.count().filter(
            Enrollment.completed_at.is_not(None),
            Enrollment.completed_at >= bounds[i],
            Enrollment.completed_at < bounds[i + 1],
        )
        for i in range(12)
    ]
    e_stmt = (
        select(
            User.org_unit_id,
            func.count().filter(Enrollment.source == EnrollmentSource.ASSIGNED.value),
            func.count().filter(completed),
            func.count().filter(Enrollment.completed_at.is_(None), Enrollment.progress_percent > 0),
            func.count().filter(Enrollment.completed_at.is_(None), Enrollment.due_at < now),
            func.count().filter(completed, Enrollment.course_id.in_(_planned(filters))),
            *per_month,
        )
        .join(User, User.id == Enrollment.user_id)
        .where(
            *people,
            Enrollment.enrolled_at < filters.end,
            or_(Enrollment.completed_at.is_(None), Enrollment.completed_at >= filters.start),
        )
        .group_by(User.org_unit_id)
    )
    if filters.course_id:
        e_stmt = e_stmt.where(Enrollment.course_id == filters.course_id)
    months = [0] * 12
    for unit_id, assigned, done, in_progress, overdue, achieved, *by_month in session.execute(e_stmt):
        for i, n in enumerate(by_month):
            months[i] += n
        r = by_unit.get(unit_id)
        if r is None:
            continue
        r.assigned += assigned
        r.completed += done
        r.in_progress += in_progress
        r.overdue += overdue
        r.achieved += achieved
    return months


def _add_targets(session: Session, by_unit: _RowsByUnit, counted: list[int], filters: Filters) -> None:
    t_stmt = (
        select(Target.unit_id, func.sum(Target.count))
        .where(Target.year == filters.year, Target.unit_id.in_(counted))
        .group_by(Target.unit_id)
    )
    if filters.course_id:
        t_stmt = t_stmt.where(Target.course_id == filters.course_id)
    for unit_id, total in session.execute(t_stmt):
        row = by_unit.get(unit_id)
        if row is not None:
            row.target += int(total or 0)


def _add_attended(
    session: Session, by_unit: _RowsByUnit, people: list[ColumnElement[bool]], filters: Filters
) -> None:
    """The "achieved" distinct (person, course) pairs: the online completions are counted already, so
    here only the classes of planned courses attended by people without an online completion of
    that course this year."""
    attended = (
        select(User.org_unit_id, Attendance.user_id, TrainingClass.course_id)
        .join(TrainingClass, TrainingClass.id == Attendance.class_id)
        .join(User, User.id == Attendance.user_id)
        .where(
            *people,
            Attendance.present.is_(True),
            Attendance.session_date >= dt.date(filters.year, 1, 1),
            Attendance.session_date < dt.date(filters.year + 1, 1, 1),
            TrainingClass.course_id.in_(_planned(filters)),
            ~select(Enrollment.id)
            .where(
                Enrollment.user_id == Attendance.user_id,
                Enrollment.course_id == TrainingClass.course_id,
                _completed_in_year(filters),
            )
            .exists(),
        )
        .distinct()
    )
    if filters.course_id:
        attended = attended.where(TrainingClass.course_id == filters.course_id)
    a = attended.subquery()
    for unit_id, n in session.execute(select(a.c.org_unit_id, func.count()).group_by(a.c.org_unit_id)):
        row = by_unit.get(unit_id)
        if row is not None:
            row.achieved += n


def unit_rows(session: Session, root: OrgUnit, filters: Filters) -> list[UnitRow]:
    """One row per child unit of root (plus root's own people), in five statements."""
    return figures(session, root, filters, charts=False).rows


def totals(rows: list[UnitRow]) -> UnitRow:
    t = UnitRow(0, "", "", False, False)
    for r in rows:
        for name in ("staff", "assigned", "completed", "in_progress", "overdue", "target", "achieved"):
            setattr(t, name, getattr(t, name) + getattr(r, name))
    return t


def _remote_coverage(session: Session, root: OrgUnit, filters: Filters) -> tuple[int, int]:
    """(active remote units in the subtree, of which with at least one person trained this year).

    Per remote unit, two EXISTS probes that stop at the first trained person (the course filter
    applies; the remote and qualification filters do not: the chart is about units).
    """
    completed = (
        select(Enrollment.id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            User.org_unit_id == OrgUnit.id,
            Enrollment.completed_at >= filters.start,
            Enrollment.completed_at < filters.end,
            Enrollment.course_id.in_(_planned(filters)),
        )
    )
    present = (
        select(Attendance.id)
        .join(User, User.id == Attendance.user_id)
        .join(TrainingClass, TrainingClass.id == Attendance.class_id)
        .where(
            User.org_unit_id == OrgUnit.id,
            Attendance.present.is_(True),
            Attendance.session_date >= dt.date(filters.year, 1, 1),
            Attendance.session_date < dt.date(filters.year + 1, 1, 1),
            TrainingClass.course_id.in_(_planned(filters)),
        )
    )
    if filters.course_id:
        completed = completed.where(Enrollment.course_id == filters.course_id)
        present = present.where(TrainingClass.course_id == filters.course_id)
    total, covered = session.execute(
        select(func.count(), func.count().filter(or_(completed.exists(), present.exists()))).where(
            OrgUnit.within(root), OrgUnit.is_remote.is_(True), OrgUnit.is_active.is_(True)
        )
    ).one()
    return int(total), int(covered)


def classes_by_year(
    session: Session, root: OrgUnit, last_year: int, years: int = 5
) -> list[tuple[int, int, int]]:
    """(year, classes, present attendances) organised in root's subtree, for the last few years."""
    first = last_year - years + 1
    cls_year = extract("year", TrainingClass.starts_on)
    in_scope = TrainingClass.unit_id.in_(select(OrgUnit.id).where(OrgUnit.within(root)))
    classes: dict[int, int] = dict(
        session.execute(
            select(cls_year, func.count())
            .where(
                in_scope,
                TrainingClass.starts_on >= dt.date(first, 1, 1),
                TrainingClass.starts_on < dt.date(last_year + 1, 1, 1),
            )
            .group_by(cls_year)
        )
        .tuples()
        .all()
    )
    att_year = extract("year", Attendance.session_date)
    attendances: dict[int, int] = dict(
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
        )
        .tuples()
        .all()
    )
    return [
        (y, int(classes.get(y, 0) or 0), int(attendances.get(y, 0) or 0)) for y in range(first, last_year + 1)
    ]


# --- people ----------------------------------------------------------------------------


PEOPLE_STATUSES = ("overdue", "incomplete", "completed")
PEOPLE_SORTS = ("name", "due")


def people_page(
    session: Session,
    unit: OrgUnit,
    filters: Filters,
    *,
    page: int,
    per_page: int = 50,
    search: str = "",
    status: str = "",
    own_only: bool = False,
    sort: str = "name",
) -> tuple[int, list[dict]]:
    """(total, rows) of people in unit's subtree with their figures for the year; two statements.

    ``status``: "overdue" (an enrolment past its due date, not completed), "incomplete" (an enrolment
    not completed), "completed" (completed in the year) — of the filtered course when one is chosen.
    ``own_only``: the unit's own staff, not its sub-units'. ``sort="due"``: the soonest due date of an
    unfinished enrolment first (people without one last).
    """
    now = utcnow()
    base = (
        select(User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.is_active.is_(True), OrgUnit.within(unit))
    )
    if own_only:
        base = base.where(User.org_unit_id == unit.id)
    if status in PEOPLE_STATUSES:
        has = select(Enrollment.id).where(Enrollment.user_id == User.id)
        if filters.course_id:
            has = has.where(Enrollment.course_id == filters.course_id)
        if status == "overdue":
            has = has.where(Enrollment.completed_at.is_(None), Enrollment.due_at < now)
        elif status == "incomplete":
            has = has.where(Enrollment.completed_at.is_(None))
        else:
            has = has.where(Enrollment.completed_at >= filters.start, Enrollment.completed_at < filters.end)
        base = base.where(has.exists())
    if filters.remote_only:
        base = base.where(OrgUnit.is_remote.is_(True))
    if filters.qualification:
        base = base.where(User.it_qualification == filters.qualification)
    if search:
        like = f"%{search.lower()}%"
        base = base.where(or_(func.lower(User.full_name).like(like), func.lower(User.username).like(like)))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    next_due = func.min(case((Enrollment.completed_at.is_(None), Enrollment.due_at))).label("next_due")
    order = [next_due.is_(None), next_due] if sort == "due" else []
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
            next_due,
        )
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(Enrollment, enr)
        .where(User.id.in_(base))
        .group_by(User.id, User.full_name, User.username, User.job_title, User.it_qualification, OrgUnit.name)
        .order_by(*order, User.full_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, [dict(r._mapping) for r in session.execute(stmt)]


def course_choices(session: Session) -> list[tuple[int, str]]:
    """Courses that were ever published (archived ones keep their history); never drafts."""
    stmt = (
        select(Course.id, Course.title)
        .where(Course.status != CourseStatus.DRAFT, Course.version >= 1)
        .order_by(Course.title, Course.id)
    )
    return list(session.execute(stmt).tuples())


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
        .where(User.is_active.is_(True), OrgUnit.within(root))
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
            TrainingClass.unit_id.in_(select(OrgUnit.id).where(OrgUnit.within(root))),
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


# --- certificates and quiz scores ---------------------------------------------------------


def person_certificates(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(
        select(Certificate.code, Certificate.course_title, Certificate.issued_at, Certificate.revoked_at)
        .where(Certificate.user_id == user_id)
        .order_by(Certificate.issued_at.desc())
    )
    return [{"code": c, "title": t, "issued_at": i, "revoked": r is not None} for c, t, i, r in rows]


def person_scores(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(
        select(Quiz.title, Attempt.percent, Attempt.passed, Attempt.submitted_at)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id == user_id, Attempt.submitted_at.is_not(None))
        .order_by(Attempt.submitted_at.desc())
        .limit(100)
    )
    return [{"title": t, "score": round(p or 0), "passed": bool(ok), "at": at} for t, p, ok, at in rows]


def certificate_rows(session: Session, root: OrgUnit, filters: Filters):
    stmt = (
        select(
            Certificate.code,
            User.full_name,
            User.username,
            OrgUnit.name,
            Certificate.course_title,
            Certificate.issued_at,
            case((Certificate.revoked_at.is_not(None), "đã thu hồi"), else_="còn hiệu lực"),
        )
        .join(User, User.id == Certificate.user_id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            OrgUnit.within(root),
            Certificate.issued_at >= filters.start,
            Certificate.issued_at < filters.end,
        )
        .order_by(OrgUnit.path, User.full_name, Certificate.issued_at)
    )
    if filters.course_id:
        stmt = stmt.where(Certificate.course_id == filters.course_id)
    yield from session.execute(stmt.execution_options(yield_per=2000))
