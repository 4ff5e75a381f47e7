from __future__ import annotations

import datetime as dt

from lms.core import audit
from lms.core.models import AuditEvent


def test_audit_log_filters_and_pages(client, make_user, login_as, session):
    admin = make_user("admin", username="quantri2")
    other = make_user(username="vien")
    for _ in range(60):
        audit.record(session, "login", actor_id=other.id, subject=f"user:{other.id}", ip="10.0.0.1")
    audit.record(
        session, "roles_changed", actor_id=admin.id, subject=f"user:{other.id}", old=["learner"], new=["hr"]
    )
    old = audit.record(session, "login_failed", subject="", ip="10.0.0.2", login="ai-do")
    session.flush()
    old.at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    session.flush()
    login_as(admin)

    html = client.get("/admin/audit?action=roles_changed").get_data(as_text=True)
    assert "Tìm thấy 1 sự kiện." in html
    assert "Đổi vai trò" in html
    assert "quantri2" in html

    html = client.get("/admin/audit?actor=VIEN").get_data(as_text=True)
    assert "Tìm thấy 60 sự kiện." in html
    assert 'rel="next"' in html
    page2 = client.get("/admin/audit?actor=VIEN&page=2").get_data(as_text=True)
    assert page2.count("<td>10.0.0.1</td>") == 10

    html = client.get("/admin/audit?since=2019-12-31&until=2020-01-01").get_data(as_text=True)
    assert "Tìm thấy 1 sự kiện." in html
    assert "ai-do" in html

    html = client.get(f"/admin/audit?subject=user:{other.id}&since=not-a-date").get_data(as_text=True)
    assert "Ngày không hợp lệ." in html


def test_logins_are_audited_with_ip(client, make_user, session):
    from tests.conftest import PASSWORD

    user = make_user(username="thu")
    client.post("/login", data={"login": "thu", "password": "wrong-wrong-wrong"})
    client.post("/login", data={"login": "thu", "password": PASSWORD})
    actions = [
        e.action
        for e in session.query(AuditEvent).filter_by(subject=f"user:{user.id}").order_by(AuditEvent.id)
    ]
    assert actions == ["login_failed", "login"]
