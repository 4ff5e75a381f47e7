from __future__ import annotations

import re
import unicodedata
from collections import Counter

from sqlalchemy import select

from lms.auth.models import User
from lms.auth.services import authenticate
from lms.demo.province import DEMO_ACCOUNTS, build_province, demo_password
from lms.org.models import OrgUnit


def test_demo_province_is_quang_ninh_since_1_july_2025_and_idempotent(session):
    first = build_province(session, learners_per_unit=1)
    kinds = Counter(session.scalars(select(OrgUnit.kind)))
    assert kinds["province"] == 1
    assert kinds["department"] == 16
    assert kinds["district"] == 0  # the district level ended on 1/7/2025
    assert kinds["commune"] == 54
    communes = list(session.scalars(select(OrgUnit).where(OrgUnit.kind == "commune")))
    words = Counter(u.name.split(" ")[1] for u in communes)
    assert words == {"phường": 30, "xã": 22, "đặc": 2}
    assert {u.name for u in communes if u.name.startswith("UBND đặc khu")} == {
        "UBND đặc khu Vân Đồn",
        "UBND đặc khu Cô Tô",
    }
    remote = {u.name for u in communes if u.is_remote}
    assert {"UBND đặc khu Cô Tô", "UBND xã Hoành Mô"} <= remote
    assert "UBND phường Hồng Gai" not in remote
    assert all(
        u.parent_id == session.scalars(select(OrgUnit.id).where(OrgUnit.code == "QN")).one() for u in communes
    )
    quals = set(session.scalars(select(User.it_qualification)))
    assert {"master", "bachelor", "college", "intermediate", "none"} <= quals
    assert first["units"] == 1 + 16 + 54 + 4
    again = build_province(session, learners_per_unit=1)
    assert again == {"units": 0, "people": 0}
    for username, _full, roles, _unit, scope in DEMO_ACCOUNTS:
        user = authenticate(session, username, demo_password(username))
        assert user is not None, username
        assert user.roles == {r.value for r in roles}
        assert (user.scope_unit is not None) == (scope is not None)


def test_unit_names_are_built_correctly(session):
    build_province(session, learners_per_unit=0)
    names = list(session.scalars(select(OrgUnit.name)))
    for name in names:
        assert name == unicodedata.normalize("NFC", name)
        assert "(" not in name, name  # no "(phố …" or "(… Hạ Long)" fragments
        assert ")" not in name, name
        assert "  " not in name, name
        assert name == name.strip(), name
        assert not re.search(r"\b(huyện|quận|thị xã|thị trấn|thành phố)\b", name, re.IGNORECASE), name
    assert len(names) == len(set(names))
    assert "UBND phường Hạ Long" in names
    assert "Trung tâm Phục vụ hành chính công phường Hạ Long" in names


def test_hr_demo_account_is_scoped_to_a_phuong_that_exists(session):
    build_province(session, learners_per_unit=0)
    hr = session.scalars(select(User).where(User.username == "nhansu")).one()
    assert hr.scope_unit.name == "UBND phường Hạ Long"
    assert hr.scope_unit.kind == "commune"
    assert hr.org_unit.parent_id == hr.scope_unit.id
    learner = session.scalars(select(User).where(User.username == "hocvien")).one()
    assert learner.org_unit.path.startswith(hr.scope_unit.path)
