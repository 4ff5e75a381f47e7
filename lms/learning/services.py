"""Enrolment, lesson progress and completion. Services flush; views commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.catalog.models import Course, CoursePrerequisite, Lesson, Module
from lms.db import read_memo, utcnow
from lms.learning.completion import (
    Requirement,
    enrollment_completed,
    enrollments_completed,
    enrollments_created,
    lesson_completed,
    lesson_opened,
    many_requirement,
    registered_module_checks,
    registered_requirements,
)
from lms.learning.models import Enrollment, EnrollmentSource, LessonProgress


def enroll_user(
    session: Session,
    user: User,
    course: Course,
    *,
    source: str = EnrollmentSource.SELF,
    due_at: dt.datetime | None = None,
) -> Enrollment:
    """Enrol user in course (idempotent); an assignment may set or tighten the due date."""
    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    ).first()
    if enrollment is None:
        enrollment = Enrollment(user_id=user.id, course_id=course.id, source=source, due_at=due_at)
        session.add(enrollment)
        session.flush()
        enrollments_created.send(None, session=session, enrollment_ids=[enrollment.id])
    elif due_at is not None and (enrollment.due_at is None or due_at < enrollment.due_at):
        enrollment.due_at = due_at
    return enrollment


def complete_lesson(session: Session, enrollment: Enrollment, lesson: Lesson) -> bool:
    """Mark a lesson done (idempotent) and refresh the enrollment. Returns True if newly done."""
    row = session.scalars(
        select(LessonProgress).where(
            LessonProgress.enrollment_id == enrollment.id, LessonProgress.lesson_id == lesson.id
        )
    ).first()
    now = utcnow()
    newly = False
    if row is None:
        row = LessonProgress(enrollment_id=enrollment.id, lesson_id=lesson.id, last_seen_at=now)
        session.add(row)
    if row.completed_at is None:
        row.completed_at = now
        newly = True
    enrollment.last_lesson_id = lesson.id
    session.flush()
    if newly:
        lesson_completed.send(enrollment, session=session, progress=row)
    refresh_enrollment(session, enrollment)
    return newly


def lesson_counts(session: Session, enrollment: Enrollment) -> tuple[int, int]:
    """(required lessons in the course, of which done) in one statement.

    After this session built the enrollment's outline (and wrote nothing since), from the outline.
    """
    known: tuple[int, int] | None = read_memo(session).get(("lesson_counts", enrollment.id))
    if known is not None:
        return known
    done_sq = (
        select(LessonProgress.lesson_id)
        .where(LessonProgress.enrollment_id == enrollment.id, LessonProgress.completed_at.is_not(None))
        .scalar_subquery()
    )
    total, done = session.execute(
        select(
            func.count(Lesson.id),
            func.count(Lesson.id).filter(Lesson.id.in_(done_sq)),
        ).where(Lesson.course_id == enrollment.course_id, Lesson.required.is_(True))
    ).one()
    return int(total), int(done)


def percent_of(done: int, total: int) -> int:
    """Share of done in total as 0–100 (100 when there is nothing to do)."""
    if total <= 0:
        return 100
    return max(0, min(100, round(100 * done / total)))


def requirements_for(session: Session, enrollment: Enrollment) -> list[Requirement]:
    """What completing this enrolment needs: the lessons rule (built in) and the registered ones."""
    return requirements_many(session, [enrollment])[enrollment.id]


def refresh_enrollment(session: Session, enrollment: Enrollment) -> list[Requirement]:
    """Recompute progress (0–100) and completion; completion is stored once, with its time.

    Progress is the share of required lessons done. An enrollment that completed
    stays complete when a later course version adds lessons.
    """
    return refresh_enrollments(session, [enrollment])[enrollment.id]


def refresh_enrollments(session: Session, enrollments: Sequence[Enrollment]) -> dict[int, list[Requirement]]:
    """``refresh_enrollment`` for many enrolments at once (HR's attendance save, a new course version).

    A constant number of statements whatever their number: lesson counts in two, each
    requirement through its ``many`` form, and one ``enrollments_completed`` signal for all
    that complete (certificates are issued and queued set-based). Returns {id: requirements}.
    """
    if not enrollments:
        return {}
    counts = lesson_counts_many(session, enrollments)
    requirements = requirements_many(session, enrollments, counts)
    now = utcnow()
    completed: list[Enrollment] = []
    for enrollment in enrollments:
        total, done = counts[enrollment.id]
        if enrollment.completed_at is not None:
            # Completion is final: a later version's new lessons do not lower it.
            enrollment.progress_percent = 100
        else:
            enrollment.progress_percent = percent_of(done, total)
        if enrollment.completed_at is None and all(r.done for r in requirements[enrollment.id]):
            enrollment.completed_at = now
            enrollment.completed_version = enrollment.course.version
            completed.append(enrollment)
    session.flush()
    if completed:
        for enrollment in completed:
            enrollment_completed.send(enrollment, session=session)
        enrollments_completed.send(None, session=session, enrollments=completed)
        session.flush()
    return requirements


def lesson_counts_many(session: Session, enrollments: Sequence[Enrollment]) -> dict[int, tuple[int, int]]:
    """{enrollment id: (required lessons, of which done)}: one statement for one, two for many."""
    if len(enrollments) == 1:
        return {enrollments[0].id: lesson_counts(session, enrollments[0])}
    course_ids = {e.course_id for e in enrollments}
    totals: dict[int, int] = dict(
        session.execute(
            select(Lesson.course_id, func.count(Lesson.id))
            .where(Lesson.course_id.in_(course_ids), Lesson.required.is_(True))
            .group_by(Lesson.course_id)
        )
        .tuples()
        .all()
    )
    done: dict[int, int] = dict(
        session.execute(
            select(LessonProgress.enrollment_id, func.count(LessonProgress.id))
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(
                LessonProgress.enrollment_id.in_([e.id for e in enrollments]),
                LessonProgress.completed_at.is_not(None),
                Lesson.required.is_(True),
            )
            .group_by(LessonProgress.enrollment_id)
        )
        .tuples()
        .all()
    )
    return {e.id: (int(totals.get(e.course_id, 0)), int(done.get(e.id, 0))) for e in enrollments}


def requirements_many(
    session: Session, enrollments: Sequence[Enrollment], counts: dict[int, tuple[int, int]] | None = None
) -> dict[int, list[Requirement]]:
    """``requirements_for`` of each enrolment; registered ``many`` forms keep it set-based."""
    from flask_babel import lazy_gettext as _l

    counts = counts if counts is not None else lesson_counts_many(session, enrollments)
    results: dict[int, list[Requirement]] = {e.id: [] for e in enrollments}
    for e in enrollments:
        if e.course.require_lessons:
            total, done = counts[e.id]
            results[e.id].append(
                Requirement(
                    "lessons", str(_l("Required lessons completed")), done >= total, f"{done}/{total}"
                )
            )
    for check in registered_requirements():
        many = many_requirement(check) if len(enrollments) > 1 else None
        found_by_id = (
            many(session, enrollments) if many is not None else {e.id: check(session, e) for e in enrollments}
        )
        for e in enrollments:
            found = found_by_id.get(e.id)
            if found is not None:
                results[e.id].extend(found if isinstance(found, list) else [found])
    return results


# ---------------------------------------------------------------------------
# Versions: recompute progress when a course gets new content


def on_course_changed(course: Course, *, session: Session, **_kw: object) -> None:
    """Receiver of ``lms.catalog.parts.course_changed`` (connected in init_app)."""
    refresh_course_enrollments(session, course)


def enrollments_by_course(session: Session, user: User, course_ids: list[int]) -> dict[int, Enrollment]:
    """The user's enrolments among these courses (the catalogue's progress provider)."""
    return {
        e.course_id: e
        for e in session.scalars(
            select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id.in_(course_ids))
        )
    }


def refresh_course_enrollments(session: Session, course: Course) -> int:
    """After a new version: recompute every unfinished enrollment's percentage.

    Those who completed stay complete (their percentage stays 100). Two
    statements for all learners, plus a full refresh only for those whose
    lessons are now all done (they may complete by this version).
    """
    total = session.scalar(
        select(func.count(Lesson.id)).where(Lesson.course_id == course.id, Lesson.required.is_(True))
    )
    done_required = (
        select(func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(
            LessonProgress.enrollment_id == Enrollment.id,
            LessonProgress.completed_at.is_not(None),
            Lesson.required.is_(True),
        )
        .correlate(Enrollment)
        .scalar_subquery()
    )
    done_rows = session.execute(
        select(Enrollment.id, done_required).where(
            Enrollment.course_id == course.id, Enrollment.completed_at.is_(None)
        )
    ).all()
    updates = [{"eid": eid, "p": percent_of(done, total or 0)} for eid, done in done_rows]
    if updates:
        session.connection().execute(
            update(Enrollment.__table__)  # type: ignore[arg-type]  # a Table, typed as FromClause
            .where(Enrollment.__table__.c.id == bindparam("eid"))
            .values(progress_percent=bindparam("p")),
            updates,
        )
        session.expire_all()
    finishing = [u["eid"] for u in updates if u["p"] == 100]
    for enrollment in session.scalars(select(Enrollment).where(Enrollment.id.in_(finishing))):
        refresh_enrollment(session, enrollment)
    return len(updates)


# ---------------------------------------------------------------------------
# The course outline a learner sees: modules, lessons, ticks, locks


@dataclass
class LessonItem:
    id: int
    key: str
    module_key: str
    title: str
    position: int
    minutes: int
    required: bool
    done: bool = False
    locked: bool = False


@dataclass
class ModuleItem:
    id: int
    key: str
    title: str
    title_en: str
    summary: str
    lessons: list[LessonItem] = field(default_factory=list)
    locked: bool = False
    lock_reason: str = ""
    # A registered module check (e.g. the module quiz) is not yet passed.
    extra_pending: bool = False

    @property
    def required_total(self) -> int:
        return sum(1 for les in self.lessons if les.required)

    @property
    def required_done(self) -> int:
        return sum(1 for les in self.lessons if les.required and les.done)

    @property
    def done(self) -> bool:
        return self.required_done >= self.required_total and not self.extra_pending

    @property
    def percent(self) -> int:
        return percent_of(self.required_done, self.required_total)

    @property
    def minutes(self) -> int:
        return sum(les.minutes for les in self.lessons)


@dataclass
class PrerequisiteItem:
    slug: str
    title: str
    done: bool


@dataclass
class Outline:
    course: Course
    enrollment: Enrollment | None
    modules: list[ModuleItem]
    prerequisites: list[PrerequisiteItem]

    @property
    def lessons(self) -> list[LessonItem]:
        return [les for m in self.modules for les in m.lessons]

    @property
    def minutes(self) -> int:
        return sum(m.minutes for m in self.modules)

    @property
    def missing_prerequisites(self) -> list[PrerequisiteItem]:
        return [p for p in self.prerequisites if not p.done]

    @property
    def locked(self) -> bool:
        return bool(self.missing_prerequisites)

    def find(self, module_key: str, lesson_key: str) -> LessonItem | None:
        for les in self.lessons:
            if les.module_key == module_key and les.key == lesson_key:
                return les
        return None

    def module_of(self, lesson: LessonItem) -> ModuleItem:
        return next(m for m in self.modules if m.key == lesson.module_key)

    def neighbours(self, lesson: LessonItem) -> tuple[LessonItem | None, LessonItem | None]:
        items = self.lessons
        i = next(n for n, les in enumerate(items) if les.id == lesson.id)
        return (items[i - 1] if i > 0 else None, items[i + 1] if i + 1 < len(items) else None)

    def resume_lesson(self) -> LessonItem | None:
        """Where "continue" goes: the last lesson seen if unfinished, else the next unfinished one."""
        items = [les for les in self.lessons if not les.locked]
        if not items:
            return None
        last_id = self.enrollment.last_lesson_id if self.enrollment else None
        start = next((n for n, les in enumerate(items) if les.id == last_id), None)
        if start is not None:
            if not items[start].done:
                return items[start]
            after = next((les for les in items[start + 1 :] if not les.done), None)
            if after is not None:
                return after
        return next((les for les in items if not les.done), items[start] if start is not None else items[0])


# The hot statements of learner pages are built once (module level, bound parameters): building a
# statement and its cache key per request cost more than running it (decision 1906).
_OUTLINE = (
    select(
        Module.id,
        Module.key,
        Module.title,
        Module.title_en,
        Module.summary,
        Lesson.id,
        Lesson.key,
        Lesson.title,
        Lesson.position,
        Lesson.estimated_minutes,
        Lesson.required,
        LessonProgress.id,
    )
    .outerjoin(Lesson, Lesson.module_id == Module.id)
    .outerjoin(
        LessonProgress,
        (LessonProgress.lesson_id == Lesson.id)
        & (LessonProgress.enrollment_id == bindparam("enrollment_id"))
        & LessonProgress.completed_at.is_not(None),
    )
    .where(Module.course_id == bindparam("course_id"))
    .order_by(Module.position, Module.key, Lesson.position, Lesson.key)
)

_COURSE_AND_ENROLLMENT = (
    select(
        Course,
        Enrollment,
        select(CoursePrerequisite.id).where(CoursePrerequisite.course_id == Course.id).exists(),
    )
    .outerjoin(Enrollment, (Enrollment.course_id == Course.id) & (Enrollment.user_id == bindparam("user_id")))
    .where(Course.slug == bindparam("slug"))
)


def course_outline(
    session: Session, course: Course, user: User | None, enrollment: Enrollment | None
) -> Outline:
    """Modules, lessons (without bodies), ticks, locks and prerequisites: two statements.

    The ticks come in the outline's own statement (an outer join on the learner's completed
    lessons: at most one row per lesson and enrolment), not in a statement of their own.
    """
    rows = session.execute(
        _OUTLINE, {"course_id": course.id, "enrollment_id": enrollment.id if enrollment is not None else None}
    ).all()
    modules: dict[int, ModuleItem] = {}
    for mid, mkey, mtitle, mtitle_en, msummary, lid, lkey, ltitle, lpos, lmin, lreq, done in rows:
        module = modules.get(mid)
        if module is None:
            module = modules[mid] = ModuleItem(mid, mkey, mtitle, mtitle_en, msummary)
        if lid is not None:
            module.lessons.append(LessonItem(lid, lkey, mkey, ltitle, lpos, lmin, lreq, done is not None))
    prerequisites: list[PrerequisiteItem] = []
    if user is not None and read_memo(session).get(("has_prerequisites", course.id), True):
        prerequisites = [
            PrerequisiteItem(slug, title, completed is not None)
            for slug, title, completed in session.execute(
                select(Course.slug, Course.title, Enrollment.completed_at)
                .join(CoursePrerequisite, CoursePrerequisite.required_course_id == Course.id)
                .outerjoin(Enrollment, (Enrollment.course_id == Course.id) & (Enrollment.user_id == user.id))
                .where(CoursePrerequisite.course_id == course.id)
                .order_by(Course.title)
            )
        ]
    outline = Outline(course, enrollment, list(modules.values()), prerequisites)
    if enrollment is not None and enrollment.id is not None:
        required = [les for m in modules.values() for les in m.lessons if les.required]
        read_memo(session)[("lesson_counts", enrollment.id)] = (
            len(required),
            sum(1 for les in required if les.done),
        )
    if enrollment is not None and course.sequential_modules and not enrollment.is_complete:
        for check in registered_module_checks():
            for module_id, passed in check(session, enrollment).items():
                if module_id in modules and not passed:
                    modules[module_id].extra_pending = True
    _apply_locks(outline)
    return outline


def _apply_locks(outline: Outline) -> None:
    from flask_babel import gettext as _

    if outline.locked:
        reason = _(
            "Complete the prerequisite course(s) first: %(titles)s",
            titles=", ".join(p.title for p in outline.missing_prerequisites),
        )
        for m in outline.modules:
            m.locked, m.lock_reason = True, reason
    elif outline.course.sequential_modules and not (outline.enrollment and outline.enrollment.is_complete):
        previous: ModuleItem | None = None
        for m in outline.modules:
            if previous is not None and (previous.locked or not previous.done):
                m.locked = True
                m.lock_reason = _('Finish the module "%(title)s" first.', title=previous.title)
            previous = m
    for m in outline.modules:
        for les in m.lessons:
            les.locked = m.locked


def course_and_enrollment(session: Session, slug: str, user: User) -> tuple[Course, Enrollment | None] | None:
    """The course with this slug and the user's enrolment in it, in one statement; None if no course.

    Whether the course has prerequisites comes with it and is kept for ``course_outline`` (read memo),
    which then skips its prerequisite statement for the many courses that have none.
    """
    row = session.execute(_COURSE_AND_ENROLLMENT, {"slug": slug, "user_id": user.id}).first()
    if row is None:
        return None
    read_memo(session)[("has_prerequisites", row[0].id)] = bool(row[2])
    return row[0], row[1]


def enrollment_for(session: Session, user: User, course: Course) -> Enrollment | None:
    return session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    ).first()


def is_enrolled(session: Session, user: User, course: Course) -> bool:
    """The enrolment fact lms.auth.access asks about an archived course."""
    return enrollment_for(session, user, course) is not None


def mark_seen(session: Session, enrollment: Enrollment, lesson_id: int) -> None:
    """Remember the lesson for "continue" (one UPDATE; only when it changed)."""
    if enrollment.last_lesson_id != lesson_id:
        enrollment.last_lesson_id = lesson_id
        session.flush()
        lesson_opened.send(enrollment, session=session, lesson_id=lesson_id)


# ---------------------------------------------------------------------------
# "My courses"


@dataclass
class ModuleProgress:
    title: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return percent_of(self.done, self.total)


@dataclass
class DashboardRow:
    enrollment: Enrollment
    modules: list[ModuleProgress]
    due_soon: bool
    overdue: bool


DUE_SOON_DAYS = 14


def dashboard_rows(session: Session, user: User) -> list[DashboardRow]:
    """The user's enrollments, unfinished first: overdue/due soonest, then assigned, then recent.

    Two statements whatever the number of courses, modules or lessons.
    """
    import datetime as dt

    from sqlalchemy.orm import joinedload

    enrollments = session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id).options(joinedload(Enrollment.course))
    ).all()
    per_module: dict[int, list[ModuleProgress]] = {e.id: [] for e in enrollments}
    if enrollments:
        done_sq = (
            select(LessonProgress.lesson_id)
            .where(LessonProgress.enrollment_id == Enrollment.id, LessonProgress.completed_at.is_not(None))
            .correlate(Enrollment)
        )
        rows = session.execute(
            select(
                Enrollment.id,
                Module.title,
                func.count(Lesson.id),
                func.count(Lesson.id).filter(Lesson.id.in_(done_sq)),
            )
            .join(Module, Module.course_id == Enrollment.course_id)
            .join(Lesson, (Lesson.module_id == Module.id) & Lesson.required.is_(True))
            .where(Enrollment.user_id == user.id)
            .group_by(Enrollment.id, Module.id, Module.title, Module.position)
            .order_by(Enrollment.id, Module.position)
        ).all()
        for eid, title, total, done in rows:
            per_module[eid].append(ModuleProgress(title, int(done), int(total)))
    now = utcnow()
    soon = now + dt.timedelta(days=DUE_SOON_DAYS)
    out = [
        DashboardRow(
            e,
            per_module[e.id],
            due_soon=e.completed_at is None and e.due_at is not None and now <= e.due_at <= soon,
            overdue=e.completed_at is None and e.due_at is not None and e.due_at < now,
        )
        for e in enrollments
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    out.sort(
        key=lambda r: (
            r.enrollment.completed_at is not None,
            r.enrollment.due_at or far,
            r.enrollment.source != EnrollmentSource.ASSIGNED,
            -(r.enrollment.enrolled_at.timestamp()),
        )
    )
    return out
