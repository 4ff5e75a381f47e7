"""Every admin URL × every role: anonymous → login, learner/trainer/HR → 403, admin → allowed."""

from __future__ import annotations

import pytest

from lms.auth.models import Role

ROLES = [None, Role.LEARNER, Role.TRAINER, Role.HR, Role.ADMIN]


def admin_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")), key=lambda r: r.rule
    )


@pytest.fixture
def objects(make_unit, make_user):
    unit = make_unit()
    return {"unit_id": make_unit(unit).id, "user_id": make_user(unit=unit).id}


def test_matrix_covers_every_admin_page(app):
    endpoints = {r.endpoint for r in admin_rules(app)}
    assert {"admin.users", "admin.user_new", "admin.user_edit", "admin.user_deactivate", "admin.user_reset_link",
            "admin.units", "admin.unit_new", "admin.unit_edit", "admin.unit_move", "admin.unit_merge",
            "admin.audit_log"} <= endpoints  # fmt: skip


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_admin_urls_by_role(app, client, login_as, make_user, make_unit, objects, role):
    if role is not None:
        scope = make_unit() if role == Role.HR else None
        login_as(make_user(role, scope=scope))
    checked = 0
    for rule in admin_rules(app):
        url = rule.rule.replace("<int:user_id>", str(objects["user_id"])).replace(
            "<int:unit_id>", str(objects["unit_id"])
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method)
            checked += 1
            where = f"{method} {url} as {role}"
            if role is None:
                assert resp.status_code == 302, where
                assert "/login" in resp.headers["Location"], where
            elif role != Role.ADMIN:
                assert resp.status_code == 403, where
            elif method == "GET":
                assert resp.status_code == 200, where
            else:
                # An empty POST by an admin is processed (redirect or a page with errors), never refused.
                assert resp.status_code in {200, 302}, where
    assert checked >= 14
