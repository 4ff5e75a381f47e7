from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lms.auth.models import PasswordResetToken, Role, User
from lms.auth.signals import user_unit_changed
from lms.core.models import AuditEvent
from lms.db import utcnow


@pytest.fixture
def admin(make_user, login_as):
    user = make_user("admin", "learner")
    login_as(user)
    return user


@pytest.fixture
def unit_signals():
    received = []

    def receiver(sender, **kw):
        received.append((sender.username, sender.org_unit_id, kw.get("old_unit_id")))

    user_unit_changed.connect(receiver)
    yield received
    user_unit_changed.disconnect(receiver)


def _events(session, action, subject=None):
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if subject:
        stmt = stmt.where(AuditEvent.subject == subject)
    return session.scalars(stmt).all()


def _form(**kw):
    data = {
        "username": "ng.van.a",
        "full_name": "Nguyễn Văn A",
        "email": "a@example.test",
        "org_unit": 0,
        "job_title": "Chuyên viên",
        "it_qualification": "bachelor",
        "roles": ["learner"],
        "scope_unit": 0,
    }
    data.update(kw)
    return data


def test_create_user_in_unit_sends_signal_and_audits(client, admin, make_unit, session, unit_signals):
    unit = make_unit()
    resp = client.post("/admin/users/new", data=_form(org_unit=unit.id))
    assert resp.status_code == 302
    user = session.scalars(select(User).where(User.username == "ng.van.a")).one()
    assert user.org_unit_id == unit.id
    assert user.roles == {"learner"}
    assert user.password_hash == ""  # the admin hands over a reset link instead
    assert unit_signals == [("ng.van.a", unit.id, None)]
    (event,) = _events(session, "user_created", f"user:{user.id}")
    assert event.actor_id == admin.id
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo tài khoản ng.van.a" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": ""}, "Hãy nhập tên đăng nhập."),
        ({"username": "có dấu"}, "Chỉ dùng chữ cái không dấu"),
        ({"full_name": ""}, "Hãy nhập họ và tên."),
        ({"email": "not-an-address"}, "Địa chỉ thư điện tử không hợp lệ."),
        ({"roles": []}, "Hãy chọn ít nhất một vai trò."),
        ({"roles": ["hr"]}, "Cán bộ nhân sự cần có phạm vi đơn vị"),
    ],
)
def test_create_user_errors_are_clear_vietnamese(client, admin, session, changes, message):
    resp = client.post("/admin/users/new", data=_form(**changes))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html or 'id="roles-err"' in html
    assert session.scalars(select(User).where(User.full_name == "Nguyễn Văn A")).first() is None


def test_duplicate_username_and_email_refused(client, admin, make_user, session):
    make_user(username="trung", email="trung@example.test")
    html = client.post("/admin/users/new", data=_form(username="TRUNG", email="Trung@example.test")).get_data(
        as_text=True
    )
    assert "Tên đăng nhập này đã được dùng cho tài khoản khác." in html
    assert "Địa chỉ thư điện tử này đã được dùng cho tài khoản khác." in html


def test_scope_only_for_hr(client, admin, make_unit):
    unit = make_unit()
    html = client.post("/admin/users/new", data=_form(scope_unit=unit.id)).get_data(as_text=True)
    assert "Chỉ cán bộ nhân sự mới có phạm vi đơn vị." in html


def test_edit_roles_scope_and_unit_are_audited(client, admin, make_user, make_unit, session, unit_signals):
    old_unit, new_unit, scope = make_unit(), make_unit(), make_unit()
    user = make_user("learner", unit=old_unit, username="binh")
    resp = client.post(
        f"/admin/users/{user.id}",
        data=_form(
            username="binh",
            email="binh@example.test",
            org_unit=new_unit.id,
            roles=["learner", "hr"],
            scope_unit=scope.id,
        ),
    )
    assert resp.status_code == 302
    session.expire_all()
    user = session.get(User, user.id)
    assert user.roles == {"learner", "hr"}
    assert user.scope_unit_id == scope.id
    assert user.org_unit_id == new_unit.id
    (roles,) = _events(session, "roles_changed", f"user:{user.id}")
    assert roles.details == {"old": ["learner"], "new": ["hr", "learner"]}
    assert roles.actor_id == admin.id
    (scoped,) = _events(session, "scope_changed", f"user:{user.id}")
    assert scoped.details == {"old": None, "new": scope.id}
    assert unit_signals == [("binh", new_unit.id, old_unit.id)]


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(client, admin, session):
    html = client.post(
        f"/admin/users/{admin.id}",
        data=_form(username=admin.username, full_name=admin.full_name, email=admin.email, roles=["learner"]),
    ).get_data(as_text=True)
    assert "Bạn không thể tự bỏ vai trò quản trị của mình." in html
    client.post(f"/admin/users/{admin.id}/deactivate")
    session.expire_all()
    assert session.get(User, admin.id).is_active
    assert Role.ADMIN in session.get(User, admin.id).roles


def test_deactivated_users_session_stops_working(app, admin, make_user, session):
    victim = make_user(username="dung")
    other = app.test_client()
    from tests.conftest import login

    login(other, victim)
    assert other.get("/").status_code == 200
    client = app.test_client()
    login(client, admin)
    assert client.post(f"/admin/users/{victim.id}/deactivate").status_code == 302
    resp = other.get("/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    assert _events(session, "user_deactivated", f"user:{victim.id}")
    client.post(f"/admin/users/{victim.id}/reactivate")
    session.expire_all()
    assert session.get(User, victim.id).is_active


def _reset_link(client, user_id):
    html = client.post(f"/admin/users/{user_id}/reset-link").get_data(as_text=True)
    match = re.search(r'value="(http://localhost(/reset/[^"]+))"', html)
    assert match, html
    return match.group(2)


def test_reset_link_is_shown_once_and_works_once(app, client, admin, make_user, session):
    user = make_user(username="giang")
    path = _reset_link(client, user.id)
    # Only the hash is stored; the clear link is not on the user's admin page.
    assert path.split("/")[-1] not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    resp = visitor.post(path, data={"password": "mat-khau-moi-2026", "confirm": "mat-khau-moi-2026"})
    assert resp.status_code == 302
    assert visitor.post("/login", data={"login": "giang", "password": "mat-khau-moi-2026"}).status_code == 302
    assert app.test_client().get(path).status_code == 404  # spent


def test_reset_link_expires_and_newer_link_replaces_older(app, client, admin, make_user, session):
    user = make_user(username="hoa")
    first = _reset_link(client, user.id)
    second = _reset_link(client, user.id)
    visitor = app.test_client()
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200
    for row in session.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)):
        row.expires_at = utcnow() - dt.timedelta(minutes=1)
    session.flush()
    assert visitor.get(second).status_code == 404


def test_reset_link_mailed_only_when_smtp_configured(app, client, admin, make_user, monkeypatch):
    user = make_user(username="khanh", email="khanh@example.test")
    sent = []
    monkeypatch.setattr(
        "lms.admin.views.send_mail", lambda to, subject, body: sent.append((to, body)) or True
    )
    _reset_link(client, user.id)
    assert sent == []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.test")
    html = client.post(f"/admin/users/{user.id}/reset-link").get_data(as_text=True)
    assert len(sent) == 1
    assert sent[0][0] == "khanh@example.test"
    assert "/reset/" in sent[0][1]
    assert "Đường dẫn cũng đã được gửi tới khanh@example.test." in html


def test_user_list_search_filter_and_pagination(client, admin, make_user, make_unit):
    district = make_unit()
    commune = make_unit(district)
    elsewhere = make_unit()
    for i in range(55):
        make_user(unit=commune, full_name=f"Đỗ Thị Cúc {i:02d}")
    make_user(unit=elsewhere, full_name="Đỗ Thị Cúc ngoài")
    make_user("hr", unit=district, full_name="Trần Văn Hải", scope=district, is_active=False)
    page1 = client.get(f"/admin/users?unit={district.id}&q=Cúc").get_data(as_text=True)
    assert "Tìm thấy 55 tài khoản." in page1
    assert "Trang 1 / 2" in page1 or "1 / 2" in page1
    assert "ngoài" not in page1
    page2 = client.get(f"/admin/users?unit={district.id}&q=Cúc&page=2").get_data(as_text=True)
    assert page2.count("Đỗ Thị Cúc") == 5
    html = client.get("/admin/users?role=hr&status=inactive").get_data(as_text=True)
    assert "Trần Văn Hải" in html
    assert "Tìm thấy 1 tài khoản." in html
