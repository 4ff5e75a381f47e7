"""Request and response models of /api/v1: the single source of validation and of the OpenAPI schemas."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    """Only an RFC 3339 date-time (pydantic alone would also take a number of seconds)."""
    if isinstance(value, str) and not RFC3339.match(value):
        raise ValueError("expected an RFC 3339 date-time with its offset, e.g. 2026-11-30T08:00:00+07:00")
    return value


# No control characters (PostgreSQL refuses NUL in text; none belongs in a name or a code).
PLAIN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Text = Annotated[str, Field(max_length=1000, pattern=PLAIN)]
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="The next_cursor of the previous page; repeat the same filters.",
    ),
]
Limit = Annotated[int, Field(default=100, ge=1, le=500, description="Items per page (1–500).")]
UpdatedSince = Annotated[
    Annotated[AwareDatetime, BeforeValidator(_rfc3339)] | None,
    Field(default=None, description="Only items changed at or after this time (RFC 3339 with offset)."),
]
UnitCode = Annotated[
    str | None,
    Field(
        default=None,
        max_length=40,
        pattern=PLAIN,
        description="Only this unit and the units below it (must lie in the token's subtree).",
    ),
]
Year = Annotated[int | None, Field(default=None, ge=2000, le=2100, description="Calendar year (UTC).")]
CourseId = Annotated[
    int | None, Field(default=None, ge=1, le=2**31 - 1, description="Only this course (id).")
]


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: Cursor = None
    limit: Limit = 100
    updated_since: UpdatedSince = None


class CourseQuery(Query):
    pass


class ReportQuery(Query):
    unit: UnitCode = None
    course_id: CourseId = None
    year: Year = None


class Page(BaseModel):
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class CourseOut(BaseModel):
    id: int
    slug: str
    title: str
    title_en: str
    status: str
    version: int
    estimated_hours: float
    updated_at: dt.datetime


class CoursePage(Page):
    items: list[CourseOut]


class PersonRef(BaseModel):
    id: int
    username: str
    full_name: str
    unit_code: str | None


class AssignmentOut(BaseModel):
    id: int
    course_id: int
    course_slug: str
    year: int
    due_at: dt.datetime | None
    unit_code: str | None = Field(
        description="The unit assigned (its subtree); null for job-title assignments."
    )
    owner_unit_code: str
    job_title: str
    created_at: dt.datetime
    closed_at: dt.datetime | None


class AssignmentPage(Page):
    items: list[AssignmentOut]


class EnrolmentOut(BaseModel):
    id: int
    person: PersonRef
    course_id: int
    course_slug: str
    source: str
    enrolled_at: dt.datetime
    due_at: dt.datetime | None
    progress_percent: int
    completed_at: dt.datetime | None


class EnrolmentPage(Page):
    items: list[EnrolmentOut]


class CertificateOut(BaseModel):
    id: int
    code: str
    status: str = Field(description="valid, revoked, superseded or expired")
    person: PersonRef
    course_id: int
    course_title: str
    course_version: int
    hours: float
    score: float | None
    completed_at: dt.datetime
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class CertificatePage(Page):
    items: list[CertificateOut]


# --- bulk upserts: the rows of the file import, as JSON ---------------------------------------


class PersonIn(BaseModel):
    """A person as in the people file (same columns, same checks)."""

    model_config = ConfigDict(extra="forbid")
    full_name: Text
    username: Text = ""
    email: Text = ""
    unit_code: Text
    job_title: Text = ""
    it_qualification: Text = Field(default="", description="master, bachelor, college, intermediate or none")


class PeopleUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    people: list[PersonIn] = Field(min_length=1, max_length=2000)
    deactivate_missing: bool = Field(
        default=False,
        description="Deactivate learners of the token's subtree not in this list (as the file import does).",
    )


class UnitIn(BaseModel):
    """A unit as in the units file (same columns, same checks); parents before children."""

    model_config = ConfigDict(extra="forbid")
    code: Text
    name: Text
    parent_code: Text = ""
    kind: Text = Field(default="", description="province, department, district, commune, office or other")
    remote: bool = False


class UnitsUpsert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: list[UnitIn] = Field(min_length=1, max_length=2000)


class UpsertResult(BaseModel):
    created: int
    updated: int
    deactivated: int
    import_id: int = Field(description="The import job, also listed on the HR import page.")
