"""The access rules of lms.auth.access, one by one (the route walk is tests/core/test_access.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from lms.auth.access import (
    Permission,
    can,
    can_manage_certificate,
    filter_units_in_scope,
    has_scope,
    managed_courses,
    manages_course,
    officer_root,
    unit_in_scope,
)
from lms.catalog.models import Course, CourseAuthor
from lms.org.models import OrgUnit, path_within


def test_roles_grant_their_permissions(make_user):
    learner, trainer, hr, admin = (make_user(r) for r in ("learner", "trainer", "hr", "admin"))
    assert can(learner, Permission.LEARN)
    assert not can(learner, Permission.AUTHOR_COURSES)
    assert can(trainer, Permission.AUTHOR_COURSES)
    assert not can(trainer, Permission.VIEW_REPORTS)
    assert can(hr, Permission.VIEW_REPORTS)
    assert not can(hr, Permission.ADMIN_USERS)
    assert all(can(admin, p) for p in Permission)
    both = make_user("trainer", "hr")
    assert can(both, Permission.AUTHOR_COURSES)
    assert can(both, Permission.VIEW_REPORTS)


def test_hr_sees_only_its_subtree(session, make_unit, make_user, count_queries):
    province = make_unit()
    district = make_unit(province)
    commune = make_unit(district)
    other = make_unit(province)
    hr = make_user("hr", scope=district)
    assert unit_in_scope(hr, district)
    assert unit_in_scope(hr, commune)
    assert not unit_in_scope(hr, other)
    assert not unit_in_scope(hr, province)
    stmt = filter_units_in_scope(select(OrgUnit.id), hr)
    with count_queries() as q:
        ids = set(session.scalars(stmt))
    assert ids == {district.id, commune.id}
    assert q.count == 1
    unscoped = make_user("hr")
    assert not has_scope(unscoped)
    assert set(session.scalars(filter_units_in_scope(select(OrgUnit.id), unscoped))) == set()
    admin = make_user("admin")
    assert {province.id, other.id} <= set(session.scalars(filter_units_in_scope(select(OrgUnit.id), admin)))


def test_within_is_the_same_test_in_python_and_in_sql(session, make_unit):
    """OrgUnit.within: one subtree rule for loaded units, SELECTs, aliases and path columns."""
    province = make_unit()
    district = make_unit(province)
    commune = make_unit(district)
    sibling = make_unit(province)
    units = [province, district, commune, sibling]
    for root in units:
        in_python = {u.id for u in units if u.within(root)}
        in_sql = set(
            session.scalars(
                select(OrgUnit.id).where(OrgUnit.within(root), OrgUnit.id.in_([u.id for u in units]))
            )
        )
        assert in_python == in_sql
    assert {u.id for u in units if u.within(district)} == {district.id, commune.id}
    assert not district.within(commune)
    assert path_within(commune.path, district)
    assert not path_within(sibling.path, district.path)
    c, d = aliased(OrgUnit), aliased(OrgUnit)
    pairs = set(
        session.execute(
            select(c.id, d.id)
            .join(d, d.within(c.path))
            .where(c.id == district.id, d.id.in_([u.id for u in units]))
        ).tuples()
    )
    assert pairs == {(district.id, district.id), (district.id, commune.id)}


def test_officer_root_is_the_scope_unit_or_the_province_for_admin(session, make_unit, make_user):
    province = session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
    ).first()
    province = province or make_unit()
    district = make_unit(province)
    assert officer_root(session, make_user("hr", scope=district)) == district
    assert officer_root(session, make_user("admin")) == province
    assert officer_root(session, make_user("hr")) is None


def test_certificate_managers_are_hr_within_scope_and_admins(make_unit, make_user):
    district = make_unit()
    commune = make_unit(district)
    other = make_unit()

    @dataclass
    class Cert:
        org_unit: OrgUnit | None

    hr = make_user("hr", scope=district)
    assert can_manage_certificate(hr, Cert(commune))
    assert not can_manage_certificate(hr, Cert(other))
    assert not can_manage_certificate(hr, Cert(None))
    assert can_manage_certificate(make_user("admin"), Cert(other))
    assert not can_manage_certificate(make_user("trainer"), Cert(commune))
    assert not can_manage_certificate(make_user("learner", scope=district), Cert(commune))


def test_course_managers_are_admins_and_trainer_authors_in_python_and_sql(session, make_user):
    mine, theirs = Course(slug="r-a", title="A"), Course(slug="r-b", title="B")
    session.add_all([mine, theirs])
    session.flush()
    trainer, learner, admin = make_user("trainer"), make_user("learner"), make_user("admin")
    session.add_all(
        [
            CourseAuthor(course_id=mine.id, user_id=trainer.id),
            CourseAuthor(course_id=mine.id, user_id=learner.id),
        ]
    )
    session.flush()
    ids = [mine.id, theirs.id]
    for user, expected in ((trainer, {mine.id}), (learner, set()), (admin, {mine.id, theirs.id})):
        assert {c.id for c in (mine, theirs) if manages_course(user, c)} == expected
        assert (
            set(session.scalars(select(Course.id).where(managed_courses(user, Course), Course.id.in_(ids))))
            == expected
        )
