"""Demo training data: a plan for the HR demo unit (UBND phường Hạ Long), and the large benchmark scale.

Both are idempotent. The large scale uses bulk INSERTs (session.execute(insert(...), rows)).
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from lms.auth.models import ITQualification, Role, User, UserRole
from lms.catalog.models import Course, CourseStatus
from lms.db import utcnow
from lms.demo.province import FAMILY, GIVEN, HR_UNIT, JOB_TITLES, MIDDLE
from lms.learning.models import Enrollment, EnrollmentSource
from lms.org.models import OrgUnit, UnitKind
from lms.org.services import create_unit
from lms.training import services
from lms.training.models import Attendance, ClassMember, ClassUnit, Target, TrainingClass

DEMO_CLASS_TITLE = "Lớp tập huấn chữ ký số – phường Hạ Long (đợt 1)"
DEMO_COURSES = [
    # slug, title, require_attendance
    ("tap-huan-chu-ky-so", "Tập huấn sử dụng chữ ký số (lớp tập trung)", True),
    ("tap-huan-dich-vu-cong", "Tập huấn dịch vụ công trực tuyến toàn trình (lớp tập trung)", True),
    ("tap-huan-van-ban-dien-tu", "Tập huấn trao đổi văn bản điện tử (lớp tập trung)", True),
    ("tap-huan-an-toan-thong-tin", "Tập huấn an toàn thông tin cơ bản (lớp tập trung)", True),
]


def demo_courses(session: Session, n: int = 2) -> list[Course]:
    """The plan's in-person courses (created once). Real online courses are left untouched, so
    demo completions never change a learner's state in the catalogue's courses."""
    existing = {
        c.slug: c
        for c in session.scalars(select(Course).where(Course.slug.in_([s for s, _t, _a in DEMO_COURSES])))
    }
    courses = []
    for slug, title, attendance in DEMO_COURSES[:n]:
        course = existing.get(slug)
        if course is None:
            course = Course(
                slug=slug,
                title=title,
                summary="Lớp học tập trung do Sở Nội vụ tổ chức; hoàn thành khi có mặt tại lớp.",
                status=CourseStatus.PUBLISHED,
                require_lessons=False,
                require_quizzes=False,
                require_final_exam=False,
                require_attendance=attendance,
                estimated_hours=8,
            )
            session.add(course)
            session.flush()
        courses.append(course)
    return courses


def build_training_demo(session: Session, *, roster_size: int = 30) -> str:
    """Assignments, targets, a class with attendance and some progress for the HR unit (idempotent)."""
    if session.scalar(select(func.count()).where(TrainingClass.title == DEMO_CLASS_TITLE)):
        return ""
    scope = session.scalars(select(OrgUnit).where(OrgUnit.code == HR_UNIT)).first()
    hr = session.scalars(select(User).where(User.username == "nhansu")).first()
    if scope is None or hr is None:
        return ""
    courses = demo_courses(session, 2)
    year = dt.date.today().year
    now = utcnow()
    offices = list(
        session.scalars(select(OrgUnit).where(OrgUnit.parent_id == scope.id).order_by(OrgUnit.code))
    )
    # Enough people in the phường for a full class.
    people = list(
        session.scalars(
            select(User)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(OrgUnit.within(scope), User.is_active.is_(True))
            .order_by(User.id)
        )
    )
    rng = random.Random(7)
    n = 0
    while len(people) < roster_size + 5:
        n += 1
        unit = offices[n % len(offices)] if offices else scope
        user = User(
            username=f"hv.{HR_UNIT.lower()}.{n:02d}",
            email=f"hv.{HR_UNIT.lower()}.{n:02d}@quangninh.gov.vn",
            full_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            org_unit_id=unit.id,
            job_title=rng.choice(JOB_TITLES),
            it_qualification=rng.choice(list(ITQualification)),
        )
        user.set_roles({Role.LEARNER.value})
        session.add(user)
        session.flush()
        people.append(user)
    signature, services_course = courses[0], courses[1]
    services.create_assignment(
        session,
        course=signature,
        year=year,
        due_at=now + dt.timedelta(days=45),
        unit=scope,
        owner=scope,
        by=hr,
    )
    services.create_assignment(
        session,
        course=services_course,
        year=year,
        due_at=now - dt.timedelta(days=10),
        unit=scope,
        job_title="Công chức một cửa",
        owner=scope,
        by=hr,
    )
    services.set_target(session, year=year, unit=scope, course=signature, count=10, by=hr)
    for i, office in enumerate(offices):
        services.set_target(session, year=year, unit=office, course=signature, count=2 + i % 2, by=hr)
        if i % 3 == 0:
            services.set_target(session, year=year, unit=office, course=services_course, count=1, by=hr)
    # Some online progress: a few completions spread over the year's past months.
    for i, e in enumerate(
        session.scalars(select(Enrollment).where(Enrollment.course_id == services_course.id))
    ):
        if i % 3 == 0:
            month = 1 + i % max(dt.date.today().month, 1)
            e.progress_percent = 100
            e.completed_at = dt.datetime(year, month, 10, 3, tzinfo=dt.UTC)
        else:
            e.progress_percent = 20 + (i * 17) % 70
    start = dt.date.today() - dt.timedelta(days=1)
    cls = services.create_class(
        session,
        course=signature,
        unit=scope,
        title=DEMO_CLASS_TITLE,
        place=f"Hội trường {scope.name}",
        starts_on=start,
        ends_on=start + dt.timedelta(days=1),
        trainer="ThS. Lê Minh Tuấn",
        capacity=roster_size,
        invited=[scope],
        by=hr,
    )
    roster = [p.id for p in people if p.username not in {"nhansu"}][:roster_size]
    services.add_to_roster(session, cls, roster, by=hr)
    services.record_attendance(session, cls, start, set(roster[::7]), by=hr)
    session.flush()
    return f"training demo: class, assignments and targets for {scope.name}"


# --- large scale -------------------------------------------------------------------------

LARGE_UNITS = 500
LARGE_PEOPLE = 50_000
LARGE_ENROLMENTS = 200_000
LARGE_PREFIX = "lg."


def build_large(
    session: Session,
    *,
    units: int = LARGE_UNITS,
    people: int = LARGE_PEOPLE,
    enrolments: int = LARGE_ENROLMENTS,
) -> str:
    """Grow the demo province to `units` units, `people` people and `enrolments` enrolments."""
    have = session.scalar(select(func.count()).where(User.username.startswith(LARGE_PREFIX))) or 0
    if have >= people:
        return "large demo data already present"
    rng = random.Random(2026)
    year = dt.date.today().year
    # Units: offices under communes/departments until the tree has `units` units.
    count = session.scalar(select(func.count(OrgUnit.id))) or 0
    parents = list(
        session.scalars(
            select(OrgUnit)
            .where(OrgUnit.kind.in_([UnitKind.COMMUNE, UnitKind.DEPARTMENT]))
            .order_by(OrgUnit.path)
        )
    )
    i = 0
    while count < units and parents:
        parent = parents[i % len(parents)]
        i += 1
        code = f"{parent.code}-P{i:03d}"
        create_unit(
            session,
            code=code,
            name=f"Phòng chuyên môn {i} – {parent.name}",
            kind=UnitKind.OFFICE,
            parent=parent,
            is_remote=parent.is_remote,
        )
        count += 1
    all_units = list(session.execute(select(OrgUnit.id, OrgUnit.is_remote).order_by(OrgUnit.id)))
    unit_ids = [u.id for u in all_units]
    courses = demo_courses(session, 4)
    now = utcnow()
    quals = list(ITQualification)
    batch = 5000
    user_ids: list[int] = []
    for start in range(have, people, batch):
        rows = []
        for n in range(start, min(start + batch, people)):
            rows.append(
                {
                    "username": f"{LARGE_PREFIX}{n:06d}",
                    "email": f"{LARGE_PREFIX}{n:06d}@quangninh.gov.vn",
                    "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    "password_hash": "",
                    "org_unit_id": unit_ids[n % len(unit_ids)],
                    "job_title": rng.choice(JOB_TITLES),
                    "it_qualification": rng.choice(quals),
                    "is_active": True,
                    "locale": "vi",
                    "session_version": 1,
                    "created_at": now,
                }
            )
        ids = session.scalars(insert(User).returning(User.id), rows).all()
        session.execute(insert(UserRole), [{"user_id": uid, "role": Role.LEARNER.value} for uid in ids])
        user_ids.extend(ids)
    per_person = max(enrolments // max(people, 1), 1)
    rows = []
    year_start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    for uid in user_ids:
        for c in courses[:per_person]:
            done = rng.random() < 0.45
            rows.append(
                {
                    "user_id": uid,
                    "course_id": c.id,
                    "source": EnrollmentSource.ASSIGNED.value,
                    "enrolled_at": year_start,
                    "due_at": year_start + dt.timedelta(days=rng.randint(60, 360)),
                    "progress_percent": 100 if done else rng.choice([0, 0, 10, 35, 60, 85]),
                    "completed_at": year_start + dt.timedelta(days=rng.randint(1, 330)) if done else None,
                    "completed_version": 1 if done else None,
                }
            )
            if len(rows) >= 10_000:
                session.execute(insert(Enrollment), rows)
                rows = []
    if rows:
        session.execute(insert(Enrollment), rows)
    _large_targets(session, year, unit_ids, courses[:2], rng)
    _large_classes(session, year, unit_ids, user_ids, courses, rng)
    session.flush()
    session.execute(text("ANALYZE"))  # planner statistics for the freshly loaded tables
    return f"large demo data: {count} units, {people} people, {len(user_ids) * per_person} enrolments added"


def _large_targets(
    session: Session, year: int, unit_ids: list[int], courses: list[Course], rng: random.Random
) -> None:
    existing = set(
        session.execute(select(Target.unit_id, Target.course_id).where(Target.year == year)).tuples()
    )
    rows = [
        {"year": year, "unit_id": uid, "course_id": c.id, "count": rng.randint(5, 60)}
        for uid in unit_ids
        for c in courses
        if (uid, c.id) not in existing
    ]
    if rows:
        session.execute(insert(Target), rows)


def _large_classes(
    session: Session,
    year: int,
    unit_ids: list[int],
    user_ids: list[int],
    courses: list[Course],
    rng: random.Random,
) -> None:
    """About 266 classes and 10,600 attendances, like the source year."""
    hr = session.scalars(select(User).where(User.username == "quantri")).first()
    by_unit: dict[int, list[int]] = {}
    for uid, unit_id in session.execute(
        select(User.id, User.org_unit_id).where(User.id.in_(user_ids[:20000]))
    ):
        by_unit.setdefault(unit_id, []).append(uid)
    pool = [u for u in unit_ids if len(by_unit.get(u, [])) >= 20]
    for k in range(266):
        unit_id = pool[k % len(pool)] if pool else unit_ids[0]
        start = dt.date(year, 1 + k % 11, 1 + k % 27)
        course = courses[k % len(courses)]
        cls = TrainingClass(
            course_id=course.id,
            title=f"Lớp tập huấn {k + 1:03d}",
            place="Hội trường",
            starts_on=start,
            ends_on=start + dt.timedelta(days=1),
            trainer="Giảng viên Sở TT&TT",
            capacity=40,
            unit_id=unit_id,
            created_by_id=hr.id if hr else None,
        )
        cls.invited = [ClassUnit(unit_id=unit_id)]
        session.add(cls)
        session.flush()
        members = by_unit.get(unit_id, [])[:20]
        if not members:
            continue
        session.execute(insert(ClassMember), [{"class_id": cls.id, "user_id": m} for m in members])
        session.execute(
            insert(Attendance),
            [
                {
                    "class_id": cls.id,
                    "user_id": m,
                    "session_date": start + dt.timedelta(days=d),
                    "present": rng.random() < 0.9,
                    "recorded_at": utcnow(),
                }
                for m in members
                for d in (0, 1)
            ],
        )


def build_training(session: Session, scale: str) -> str:
    """The training plan of the demo phường; with ``scale="large"`` the benchmark data too."""
    messages = [build_training_demo(session)]
    if scale == "large":
        messages.append(build_large(session))
    return "\n".join(m for m in messages if m)
