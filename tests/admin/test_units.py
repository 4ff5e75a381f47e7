from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.auth.signals import user_unit_changed
from lms.core.models import AuditEvent
from lms.org.models import OrgUnit


@pytest.fixture
def admin(make_user, login_as):
    user = make_user("admin")
    login_as(user)
    return user


def test_add_unit_under_parent(client, admin, make_unit, session):
    parent = make_unit(name="UBND Huyện Cô Tô")
    resp = client.post(
        "/admin/units/new",
        data={
            "parent": parent.id,
            "code": "CT-X09",
            "name": "UBND Xã Thanh Lân",
            "kind": "commune",
            "is_remote": "y",
        },
    )
    assert resp.status_code == 302
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == "CT-X09")).one()
    assert unit.parent_id == parent.id
    assert unit.path == f"{parent.path}{unit.id}/"
    assert unit.is_remote
    tree = client.get("/admin/units").get_data(as_text=True)
    assert "UBND Xã Thanh Lân" in tree
    assert "Vùng sâu, vùng xa" in tree


def test_add_unit_errors(client, admin, make_unit):
    existing = make_unit()
    html = client.post(
        "/admin/units/new", data={"parent": 0, "code": existing.code, "name": "", "kind": "other"}
    ).get_data(as_text=True)
    assert "Mã này đã được dùng cho một đơn vị khác." in html
    assert "Hãy nhập tên." in html


def test_rename_unit_is_audited(client, admin, make_unit, session):
    unit = make_unit(name="Phòng cũ")
    resp = client.post(
        f"/admin/units/{unit.id}", data={"code": unit.code, "name": "Phòng mới", "kind": "office"}
    )
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(OrgUnit, unit.id).name == "Phòng mới"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "unit_updated")).one()
    assert event.subject == f"unit:{unit.id}"
    assert set(event.details["fields"]) == {"name", "kind"}


def test_move_unit_with_subtree_and_refuse_cycles(client, admin, make_unit, session):
    a, b = make_unit(), make_unit()
    moving = make_unit(a)
    child = make_unit(moving)
    assert client.post(f"/admin/units/{moving.id}/move", data={"parent": b.id}).status_code == 302
    session.expire_all()
    assert session.get(OrgUnit, child.id).path.startswith(session.get(OrgUnit, b.id).path)
    html = client.post(f"/admin/units/{moving.id}/move", data={"parent": child.id}).get_data(as_text=True)
    assert "Lựa chọn không hợp lệ." in html  # own sub-units are not even offered
    form_html = client.get(f"/admin/units/{moving.id}").get_data(as_text=True)
    assert f'value="{child.id}"' not in form_html.split('id="merge-h"')[0].split('id="move-h"')[1]


def test_merge_asks_for_confirmation_with_people_count(client, admin, make_unit, make_user, session):
    district = make_unit()
    old, new = make_unit(district, name="Xã Cũ"), make_unit(district, name="Xã Mới")
    sub = make_unit(old)
    people = [make_user(unit=old) for _ in range(4)]
    hr = make_user("hr", scope=old)
    received = []

    def receiver(sender, **kw):
        received.append((sender.id, sender.org_unit_id, kw["old_unit_id"]))

    user_unit_changed.connect(receiver)
    try:
        confirm = client.post(f"/admin/units/{old.id}/merge", data={"target": new.id})
        assert confirm.status_code == 200
        html = confirm.get_data(as_text=True)
        assert "Sáp nhập Xã Cũ vào Xã Mới?" in html
        assert "4 người chuyển sang Xã Mới." in html
        assert "1 đơn vị trực thuộc chuyển về Xã Mới." in html
        session.expire_all()
        assert session.get(OrgUnit, old.id).is_active  # nothing happened yet
        done = client.post(f"/admin/units/{old.id}/merge", data={"target": new.id, "confirm": "yes"})
        assert done.status_code == 302
    finally:
        user_unit_changed.disconnect(receiver)
    session.expire_all()
    assert {session.get(User, p.id).org_unit_id for p in people} == {new.id}
    assert session.get(User, hr.id).scope_unit_id == new.id
    assert session.get(OrgUnit, sub.id).parent_id == new.id
    assert session.get(OrgUnit, old.id).is_active is False
    assert sorted(received) == sorted((p.id, new.id, old.id) for p in people)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "4 người đã được chuyển" in page


def test_tree_counts_people_of_subtree(client, admin, make_unit, make_user):
    root = make_unit(name="Tỉnh thử")
    child = make_unit(root)
    for _ in range(3):
        make_user(unit=child)
    make_user(unit=root)
    html = client.get("/admin/units").get_data(as_text=True)
    line = html.split(f'id="unit-{root.id}"')[1].split("</summary>")[0]
    assert ">4<" in line.replace(" ", "")
