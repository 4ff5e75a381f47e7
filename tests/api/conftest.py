"""Fixtures of the HR API tests: two districts with people, courses, enrolments, certificates, tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from lms.api import services
from lms.api.models import ApiScope, ApiToken
from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.db import utcnow
from lms.learning.services import enroll_user
from lms.org.models import OrgUnit
from lms.training import services as training_services

ALL_SCOPES = [s.value for s in ApiScope]


@dataclass
class HrWorld:
    province: OrgUnit
    mine: OrgUnit  # the token's district
    commune: OrgUnit  # a commune under it
    other: OrgUnit  # another district
    course: Course
    admin: User
    people: dict[str, User]  # "mine", "commune", "other"
    token: str  # all scopes, limited to `mine`
    row: ApiToken

    def make_token(
        self, session: Any, scopes: list[str], *, unit: OrgUnit | None = None, days: int = 30
    ) -> str:
        _row, text = services.create_token(
            session,
            name="HRMIS test",
            scopes=scopes,
            unit=unit or self.mine,
            expires_at=utcnow() + dt.timedelta(days=days),
            by=self.admin,
        )
        session.flush()
        return text


def bearer(token: str, lang: str = "vi") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


@pytest.fixture
def hr(app: Flask, session: Any, make_unit: Any, make_user: Any, make_course: Any) -> HrWorld:
    province = make_unit(kind="province", name="Tỉnh thử")
    mine = make_unit(province, kind="district", name="Huyện A")
    commune = make_unit(mine, kind="commune", name="Xã A1")
    other = make_unit(province, kind="district", name="Huyện B")
    admin = make_user("admin")
    course = make_course()
    now = utcnow()
    people = {
        "mine": make_user(unit=mine),
        "commune": make_user(unit=commune),
        "other": make_user(unit=other),
    }
    for key, user in people.items():
        enrolment = enroll_user(session, user, course)
        session.flush()
        if key != "mine":
            enrolment.completed_at = now
            enrolment.progress_percent = 100
        unit = user.org_unit
        session.add(
            Certificate(
                code=f"HRAPI{user.id:013d}",
                user_id=user.id,
                course_id=course.id,
                enrollment_id=enrolment.id,
                holder_name=user.full_name,
                course_title=course.title,
                org_unit_id=unit.id if unit else None,
                unit_name=unit.name if unit else "",
                completed_at=now,
                issued_at=now,
            )
        )
    for unit in (mine, other):
        training_services.create_assignment(
            session, course=course, year=now.year, due_at=None, unit=unit, owner=unit, by=admin
        )
    session.flush()
    row, token = services.create_token(
        session, name="HRMIS", scopes=ALL_SCOPES, unit=mine, expires_at=now + dt.timedelta(days=30), by=admin
    )
    session.flush()
    return HrWorld(province, mine, commune, other, course, admin, people, token, row)
