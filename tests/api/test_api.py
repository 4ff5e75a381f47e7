"""The HR API through the test client: tokens, scope, pages, filters, upserts, problem documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from lms.api.models import ApiToken
from lms.auth.models import User
from lms.core.models import AuditEvent
from lms.db import utcnow
from lms.org.models import OrgUnit
from tests.api.conftest import HrWorld, bearer
from tests.conftest import login


def test_a_token_reads_its_subtree_only(client: Any, hr: HrWorld) -> None:
    r = client.get("/api/v1/enrolments", headers=bearer(hr.token))
    assert r.status_code == 200, r.get_data(as_text=True)
    ids = {item["person"]["id"] for item in r.get_json()["items"]}
    assert ids == {hr.people["mine"].id, hr.people["commune"].id}
    completed = client.get("/api/v1/completions", headers=bearer(hr.token)).get_json()["items"]
    assert [c["person"]["id"] for c in completed] == [hr.people["commune"].id]
    assert completed[0]["progress_percent"] == 100
    certs = client.get("/api/v1/certificates", headers=bearer(hr.token)).get_json()["items"]
    assert {c["person"]["id"] for c in certs} == {hr.people["mine"].id, hr.people["commune"].id}
    assignments = client.get("/api/v1/assignments", headers=bearer(hr.token)).get_json()["items"]
    assert [a["owner_unit_code"] for a in assignments] == [hr.mine.code]


def test_cursor_pages_walk_every_item_once_in_a_stable_order(
    client: Any, hr: HrWorld, make_course: Any
) -> None:
    for _ in range(4):
        make_course()
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/courses?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(hr.token)).get_json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) >= 5
    assert pages == (len(seen) + 1) // 2 + (1 if len(seen) % 2 == 0 else 0) or pages >= 3
    bad = client.get("/api/v1/courses?cursor=not-a-cursor", headers=bearer(hr.token))
    assert bad.status_code == 422
    assert bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"][0]["field"] == "cursor"


def test_filters_unit_course_year_and_updated_since(client: Any, hr: HrWorld, session: Any) -> None:
    h = bearer(hr.token)
    r = client.get(f"/api/v1/enrolments?unit={hr.commune.code}", headers=h).get_json()
    assert [e["person"]["id"] for e in r["items"]] == [hr.people["commune"].id]
    year = utcnow().year
    assert len(client.get(f"/api/v1/certificates?year={year}", headers=h).get_json()["items"]) == 2
    assert client.get(f"/api/v1/certificates?year={year - 1}", headers=h).get_json()["items"] == []
    assert client.get("/api/v1/enrolments?course_id=999999", headers=h).get_json()["items"] == []
    # an assignment's year is a number, not a date: the same filter reads it as such
    this_year = client.get(f"/api/v1/assignments?year={year}", headers=h).get_json()["items"]
    assert this_year
    assert all(a["year"] == year for a in this_year)
    assert client.get(f"/api/v1/assignments?year={year + 1}", headers=h).get_json()["items"] == []
    earlier = (utcnow() - dt.timedelta(hours=1)).isoformat()
    r = client.get("/api/v1/certificates", query_string={"updated_since": earlier}, headers=h).get_json()
    assert len(r["items"]) == 2
    later = (utcnow() + dt.timedelta(hours=1)).isoformat()
    r = client.get("/api/v1/enrolments", query_string={"updated_since": later}, headers=h).get_json()
    assert r["items"] == []
    outside = client.get(f"/api/v1/enrolments?unit={hr.other.code}", headers=h)
    assert outside.status_code == 403
    assert outside.mimetype == "application/problem+json"
    assert hr.other.code in outside.get_json()["detail"]
    unknown = client.get("/api/v1/enrolments?unit=KHONGCO", headers=h)
    assert unknown.status_code == 404


def test_tokens_missing_wrong_expired_revoked_or_out_of_scope(client: Any, hr: HrWorld, session: Any) -> None:
    def status(token: str | None, url: str = "/api/v1/courses") -> tuple[int, str]:
        r = client.get(url, headers=bearer(token) if token else {})
        assert r.mimetype == "application/problem+json", r.get_data(as_text=True)
        return r.status_code, r.get_json()["detail"]

    assert status(None)[0] == 401
    assert status("lms_abcdef_wrong")[0] == 401
    assert status(hr.token[:-2] + "xx")[0] == 401
    reader = hr.make_token(session, ["courses:read"])
    code, detail = status(reader, "/api/v1/enrolments")
    assert code == 403
    assert "reports:read" in detail
    expired = hr.make_token(session, ["courses:read"])
    row = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert status(expired)[0] == 401
    r = client.post("/api/v1/people", json={"people": []}, headers=bearer(reader))
    assert r.status_code == 403


def test_a_browser_session_is_not_a_token(client: Any, hr: HrWorld) -> None:
    login(client, hr.admin)
    r = client.get("/api/v1/courses")
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    r = client.post("/api/v1/units", json={"units": [{"code": "X", "name": "X"}]})
    assert r.status_code == 401


def test_problem_details_speak_vietnamese_by_default_and_english_on_request(client: Any, hr: HrWorld) -> None:
    vi = client.get("/api/v1/courses").get_json()["detail"]
    en = client.get("/api/v1/courses", headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()["detail"]
    assert en.startswith("A valid API token is required")
    assert vi.startswith("Cần một mã truy cập API hợp lệ")
    missing = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_every_call_is_audited_with_last_use(client: Any, hr: HrWorld, session: Any) -> None:
    client.get("/api/v1/courses", headers=bearer(hr.token))
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "api.call"
    assert event.actor_id == hr.row.account_id
    assert event.details == {"request": "GET /api/v1/courses", "api_scope": "courses:read"}
    session.refresh(hr.row)
    assert hr.row.last_used_at is not None
    login(client, hr.admin)  # the audit log says it in words
    hr.admin.locale = "en"
    session.flush()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "API call by a service account" in page
    assert "request: GET /api/v1/courses" in page
    assert f">api-{hr.row.prefix}<" in page  # the service account of the token


def test_upsert_people_and_units_all_or_nothing(client: Any, hr: HrWorld, session: Any) -> None:
    h = bearer(hr.token)
    units = {"units": [{"code": "XA-MOI", "name": "Xã Mới", "parent_code": hr.mine.code, "kind": "commune"}]}
    r = client.post("/api/v1/units", json=units, headers=h)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["created"] == 1
    new_unit = session.scalars(select(OrgUnit).where(OrgUnit.code == "XA-MOI")).one()
    assert new_unit.within(hr.mine)
    people = {
        "people": [
            {"full_name": "Nguyễn Văn Mới", "username": "nvmoi", "unit_code": "XA-MOI"},
            {
                "full_name": "Trần Thị Sai",
                "username": "ttsai",
                "unit_code": hr.other.code,
            },  # outside the subtree
            {"full_name": "Lê Văn Ba", "email": "khong-hop-le", "unit_code": "XA-MOI"},
        ]
    }
    before = session.scalar(select(func.count(User.id)))
    r = client.post("/api/v1/people", json=people, headers=bearer(hr.token, "en"))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    problems = {(e["row"], e["code"]) for e in r.get_json()["errors"]}
    assert (1, "unit_out_of_scope") in problems
    assert (2, "bad_email") in problems
    assert session.scalar(select(func.count(User.id))) == before  # nothing written
    people["people"] = [people["people"][0]]
    r = client.post("/api/v1/people", json=people, headers=h)
    assert r.status_code == 200
    assert r.get_json()["created"] == 1
    people["people"][0]["full_name"] = "Nguyễn Văn Mới Sửa"
    assert client.post("/api/v1/people", json=people, headers=h).get_json()["updated"] == 1
    user = session.scalars(select(User).where(User.username == "nvmoi")).one()
    session.refresh(user)
    assert user.full_name == "Nguyễn Văn Mới Sửa"
    assert user.org_unit_id == new_unit.id


def test_bad_bodies_are_problems_not_html(client: Any, hr: HrWorld) -> None:
    h = bearer(hr.token)
    r = client.post("/api/v1/units", data="not json", headers=h, content_type="application/json")
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"
    r = client.post("/api/v1/units", data="a=b", headers=h, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    r = client.post("/api/v1/units", json={"units": [{"code": "A"}]}, headers=h)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "units.0.name"
    r = client.get("/api/v1/courses?limit=0", headers=h)
    assert r.status_code == 422
    # NUL (found by schemathesis on PostgreSQL, which refuses it in text): refused before any query
    r = client.post("/api/v1/people", json={"people": [{"full_name": "A", "unit_code": "\x00"}]}, headers=h)
    assert r.status_code == 422
    assert client.get("/api/v1/enrolments?unit=%00", headers=h).status_code == 422


def test_rate_limited_per_token(app: Flask, client: Any, hr: HrWorld, session: Any) -> None:
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        other = hr.make_token(session, ["courses:read"])
        codes = [client.get("/api/v1/courses", headers=bearer(hr.token)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/api/v1/courses", headers=bearer(hr.token))
        assert limited.mimetype == "application/problem+json"
        assert limited.headers.get("Retry-After")
        assert client.get("/api/v1/courses", headers=bearer(other)).status_code == 200  # its own budget
    finally:
        app.config["API_RATE_LIMIT"] = "300 per minute"


def test_openapi_document_and_bundled_docs_page(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert spec["paths"]["/enrolments"]["get"]["security"] == [{"bearer": ["reports:read"]}]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    # Server-rendered from the same document: every operation with its scope and parameters, no script.
    for path, item in spec["paths"].items():
        for op in item.values():
            assert f'id="{op["operationId"]}"' in page
            assert f"/api/v1{path}</code>" in page
    assert "<code>updated_since</code>" in page
    assert "<code>string (date-time) | null</code>" in page
    assert 'id="schema-PeopleUpsert"' in page
    assert "/admin/api-tokens" in page
    assert "swagger-ui-bundle.js" not in page
    swagger = client.get("/api/v1/docs/try").get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in swagger
    assert "http" not in swagger.split("<body>")[1]
    js = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    js.close()
    assert js.status_code == 200


def test_admin_creates_a_token_shown_once_and_revokes_it(client: Any, hr: HrWorld, session: Any) -> None:
    login(client, hr.admin)  # the test config turns CSRF off (tests/core/test_csrf.py checks it)
    r = client.post(
        "/admin/api-tokens",
        data={
            "name": "HRMIS huyện",
            "scopes": ["courses:read", "people:write"],
            "unit_code": hr.mine.code,
            "expires_on": (utcnow().date() + dt.timedelta(days=90)).isoformat(),
        },
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "lms_" in page
    shown = page.split('value="lms_')[1].split('"')[0]
    row = session.scalars(select(ApiToken).where(ApiToken.name == "HRMIS huyện")).one()
    assert shown not in row.secret_hash
    assert row.secret_hash != "lms_" + shown
    assert client.get("/api/v1/courses", headers=bearer("lms_" + shown)).status_code == 200
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "HRMIS huyện" in listing
    assert shown not in listing
    r = client.post(f"/admin/api-tokens/{row.id}/revoke", data={})
    assert r.status_code == 302
    assert client.get("/api/v1/courses", headers=bearer("lms_" + shown)).status_code == 401
