"""Every /api/v1 token route, found in the URL map, walked with a token of one subtree.

A route added later is walked as soon as it exists: a GET route is read page by page and must
show nothing of the other subtree; a POST route needs an entry in ``ATTEMPTS`` (bodies that try
to change the other subtree), or this test fails. Then every route with no token, a wrong, an
expired, a revoked token and one without its scope: 401/403 problem documents.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms.api import services
from lms.api.models import ApiScope, ApiToken
from lms.auth.access import Access, access_map
from lms.auth.models import User
from lms.db import utcnow
from lms.org.models import OrgUnit
from tests.api.conftest import ALL_SCOPES, HrWorld, bearer


def token_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(rule, method, scope) of every Access.TOKEN route."""
    declared = access_map(app)
    found = []
    for rule in app.url_map.iter_rules():
        d = declared.get(rule.endpoint)
        if d is not None and d.level is Access.TOKEN:
            assert not rule.arguments, f"{rule.rule}: give this walk a real object for {rule.arguments}"
            found += [(rule.rule, m, d.scope) for m in sorted(rule.methods or ()) if m in ("GET", "POST")]
    return sorted(found)


def test_every_api_v1_route_is_a_token_route_or_the_public_description(app: Flask) -> None:
    declared = access_map(app)
    loose = [
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/")
        and declared[r.endpoint].level is not Access.TOKEN
        and r.endpoint not in {"api.openapi_json", "api.docs", "api.docs_try", "certificates.api_certificate"}
    ]
    assert loose == []
    assert len(token_routes(app)) >= 7


# Bodies that try to change something outside the token's subtree, per POST route. Each must be
# refused as a whole (nothing written); `outside` is the other subtree's unit, `person` one of its people.
Attempt = Callable[[HrWorld, OrgUnit, User, OrgUnit], dict[str, Any]]
ATTEMPTS: dict[str, list[Attempt]] = {
    "/api/v1/people": [
        lambda hr, outside, person, inside: {  # move a person of the other subtree into ours
            "people": [{"full_name": "Chiếm", "username": person.username, "unit_code": inside.code}]
        },
        lambda hr, outside, person, inside: {  # create a person in the other subtree
            "people": [{"full_name": "Mới", "username": "nguoi-moi-ngoai", "unit_code": outside.code}]
        },
        lambda hr, outside, person, inside: {  # rename one of theirs, by e-mail
            "people": [{"full_name": "Đổi tên", "email": person.email, "unit_code": outside.code}]
        },
        lambda hr, outside, person, inside: {  # deactivate_missing reaches only our own subtree
            "people": [{"full_name": "Một", "username": "mot-minh", "unit_code": outside.code}],
            "deactivate_missing": True,
        },
    ],
    "/api/v1/units": [
        lambda hr, outside, person, inside: {  # rename the other subtree's unit
            "units": [{"code": outside.code, "name": "Đổi tên", "parent_code": hr.province.code}]
        },
        lambda hr, outside, person, inside: {  # add a unit under it
            "units": [{"code": "DV-NGOAI", "name": "Ngoài", "parent_code": outside.code}]
        },
        lambda hr, outside, person, inside: {  # move it under ours
            "units": [{"code": outside.code, "name": outside.name, "parent_code": inside.code}]
        },
        lambda hr, outside, person, inside: {  # move our unit under theirs
            "units": [{"code": inside.code, "name": inside.name, "parent_code": outside.code}]
        },
    ],
}


def snapshot(session: Any, root: OrgUnit) -> list[Any]:
    """Everything of a subtree the API could change: its units and its people."""
    session.expire_all()
    units = session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path, OrgUnit.kind, OrgUnit.is_remote)
        .where(OrgUnit.within(root.path))
        .order_by(OrgUnit.id)
    ).all()
    people = session.execute(
        select(User.id, User.username, User.full_name, User.email, User.org_unit_id, User.is_active)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(OrgUnit.within(root.path))
        .order_by(User.id)
    ).all()
    return [*units, *people]


def markers(session: Any, root: OrgUnit) -> set[str]:
    """Strings that name the subtree's units and people: none may appear in another token's answers."""
    found = set(session.scalars(select(OrgUnit.code).where(OrgUnit.within(root.path))))
    for username, full_name in session.execute(
        select(User.username, User.full_name)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(OrgUnit.within(root.path))
    ):
        found |= {username, full_name}
    return found


@pytest.mark.parametrize("level", ["district", "commune"])
def test_a_subtree_token_reads_and_changes_nothing_outside_it(
    app: Flask, client: Any, hr: HrWorld, session: Any, make_user: Any, level: str
) -> None:
    # district token: the other district is outside; commune token: the district's own office too.
    inside = hr.mine if level == "district" else hr.commune
    outside = hr.other if level == "district" else hr.mine
    outsider = hr.people["other"] if level == "district" else hr.people["mine"]
    token = hr.make_token(session, ALL_SCOPES, unit=inside)
    foreign = markers(session, hr.other) | {hr.other.code, outsider.username, outsider.full_name}
    if level == "commune":
        foreign |= {hr.mine.code}
    own_people = {u.username for u in hr.people.values() if u.org_unit and u.org_unit.within(inside)}
    seen_own: set[str] = set()
    h = bearer(token)
    for rule, method, _scope in token_routes(app):
        if method == "GET":
            cursor, pages = None, 0
            while True:
                r = client.get(
                    rule, query_string={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=h
                )
                assert r.status_code == 200, (rule, r.get_data(as_text=True))
                text = r.get_data(as_text=True)
                leaked = sorted(m for m in foreign if json.dumps(m)[1:-1] in text)
                assert leaked == [], f"{rule} shows {leaked} to a token of {inside.code}"
                seen_own |= {m for m in own_people if m in text}
                cursor, pages = r.get_json()["next_cursor"], pages + 1
                if cursor is None or pages > 50:
                    break
            refused = client.get(rule, query_string={"unit": outside.code}, headers=h)
            if rule != "/api/v1/courses":  # courses are the province's, not a unit's
                assert refused.status_code == 403, rule
                assert refused.mimetype == "application/problem+json"
        else:
            assert rule in ATTEMPTS, f"{rule}: add bodies that try to cross the subtree to ATTEMPTS"
            before = snapshot(session, outside)
            for attempt in ATTEMPTS[rule]:
                r = client.post(rule, json=attempt(hr, outside, outsider, inside), headers=h)
                assert r.status_code in (403, 422), (rule, r.status_code, r.get_data(as_text=True))
                assert r.mimetype == "application/problem+json"
                assert snapshot(session, outside) == before, f"{rule} changed the other subtree"
    assert seen_own == own_people  # the walk did read the token's own people


def test_every_route_refuses_missing_wrong_expired_revoked_and_unscoped_tokens(
    app: Flask, client: Any, hr: HrWorld, session: Any
) -> None:
    now = utcnow()

    def make(scopes: list[str], **change: Any) -> str:
        row, text = services.create_token(
            session, name="t", scopes=scopes, unit=hr.mine, expires_at=now + dt.timedelta(days=1), by=hr.admin
        )
        for key, value in change.items():
            setattr(row, key, value)
        session.flush()
        return text

    expired = make(ALL_SCOPES, expires_at=now - dt.timedelta(minutes=1))
    revoked_row_token = make(ALL_SCOPES)
    revoked = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    services.revoke_token(session, revoked, by=hr.admin)
    wrong = []
    for rule, method, scope in token_routes(app):
        other_scope = next(s.value for s in ApiScope if s.value != scope)
        cases = {
            "no token": ({}, 401),
            "not a token": ({"Authorization": "Bearer nothing"}, 401),
            "basic auth": ({"Authorization": "Basic YTpi"}, 401),
            "wrong secret": (bearer(hr.token[:-3] + "abc"), 401),
            "expired": (bearer(expired), 401),
            "revoked": (bearer(revoked_row_token), 401),
            "other scope": (bearer(make([other_scope])), 403),
        }
        for name, (headers, expected) in cases.items():
            call = client.get if method == "GET" else client.post
            r = call(rule, headers=headers, **({"json": {}} if method == "POST" else {}))
            if r.status_code != expected or r.mimetype != "application/problem+json":
                wrong.append(f"{method} {rule} {name}: {r.status_code} {r.mimetype}")
            elif not r.get_json()["detail"]:
                wrong.append(f"{method} {rule} {name}: no detail")
    assert wrong == []
