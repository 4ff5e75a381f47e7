from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.auth.services import merge_units
from lms.org.models import OrgUnit
from lms.org.services import OrgError, move_unit, subtree_units


def _chain(make_unit, depth):
    unit = make_unit()
    root = unit
    for _ in range(depth - 1):
        unit = make_unit(unit)
    return root, unit


@pytest.mark.parametrize("depth", [2, 12])
def test_subtree_query_count_is_independent_of_depth(session, make_unit, count_queries, depth):
    root, _leaf = _chain(make_unit, depth)
    session.expire_all()
    stmt = subtree_units(session.get(OrgUnit, root.id))
    with count_queries() as q:
        units = session.scalars(stmt).all()
    assert len(units) == depth
    assert q.count == 1, q.statements


def test_move_subtree_updates_paths_in_fixed_statements(session, make_unit, count_queries):
    a = make_unit()
    b = make_unit()
    root, leaf = _chain(make_unit, 6)
    move_unit(session, root, a)
    session.flush()
    assert session.scalars(subtree_units(a)).all()[-1].id == leaf.id
    with count_queries() as q:
        move_unit(session, root, b)
    assert q.count <= 3
    leaf = session.get(OrgUnit, leaf.id)
    assert leaf.path.startswith(b.path)
    assert leaf.depth == b.depth + 6
    with pytest.raises(OrgError):
        move_unit(session, root, leaf)


def test_merge_moves_people_and_children(session, make_unit, make_user):
    district = make_unit()
    old = make_unit(district)
    new = make_unit(district)
    child = make_unit(old)
    people = [make_user(unit=old) for _ in range(3)]
    officer = make_user("hr", unit=district, scope=old)
    assert merge_units(session, old, new) == 3
    session.refresh(officer)
    assert (officer.org_unit_id, officer.scope_unit_id) == (district.id, new.id)  # the HR scope follows
    session.expire_all()
    assert {
        u.org_unit_id for u in session.scalars(select(User).where(User.id.in_([p.id for p in people])))
    } == {new.id}
    assert session.get(OrgUnit, child.id).parent_id == new.id
    assert session.get(OrgUnit, child.id).path.startswith(new.path)
    assert session.get(OrgUnit, old.id).is_active is False
