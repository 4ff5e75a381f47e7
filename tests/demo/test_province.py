from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from lms.auth.models import User
from lms.auth.services import authenticate
from lms.demo.province import DEMO_ACCOUNTS, build_province, demo_password
from lms.org.models import OrgUnit


def test_demo_province_shape_and_idempotence(session):
    first = build_province(session, learners_per_unit=1)
    kinds = Counter(session.scalars(select(OrgUnit.kind)))
    assert kinds["province"] == 1
    assert kinds["department"] == 20
    assert kinds["district"] == 14
    assert kinds["commune"] == 186
    assert (
        session.scalar(select(func.count()).where(OrgUnit.is_remote.is_(True), OrgUnit.kind == "commune")) > 0
    )
    quals = set(session.scalars(select(User.it_qualification)))
    assert {"master", "bachelor", "college", "intermediate", "none"} <= quals
    assert first["units"] == 221
    again = build_province(session, learners_per_unit=1)
    assert again == {"units": 0, "people": 0}
    for username, _full, roles, _unit, scope in DEMO_ACCOUNTS:
        user = authenticate(session, username, demo_password(username))
        assert user is not None, username
        assert user.roles == {r.value for r in roles}
        assert (user.scope_unit is not None) == (scope is not None)
