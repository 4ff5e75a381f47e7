from __future__ import annotations

from sqlalchemy import select

from lms.auth.access import Permission, can, filter_units_in_scope, has_scope, unit_in_scope
from lms.org.models import OrgUnit


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
