"""/api/v1 for the province's personnel system: reads with cursor pages, bulk upserts (decisions 1711–1719).

Every view: ``@access(Access.TOKEN, scope=...)`` (bearer token, audited, rate-limited per token)
→ ``@operation`` (request validated, response serialised, both in the OpenAPI document) →
rows limited to the token's unit subtree with the site's own rules (``filter_in_scope``).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, Select, exists, func, or_, select
from sqlalchemy.orm import joinedload

from lms.api import reference
from lms.api import schemas as s
from lms.api.bearer import current_account, current_token, rate_limit_key
from lms.api.models import ApiScope
from lms.api.spec import API_ROOT, invalid, openapi, operation
from lms.auth.access import Access, access, filter_in_scope, filter_units_in_scope, unit_in_scope
from lms.auth.models import User
from lms.catalog.models import Course, CourseStatus
from lms.certificates.models import Certificate
from lms.core.csrf import csrf_exempt
from lms.core.errors import problem
from lms.db import db
from lms.extensions import limiter
from lms.learning.models import Enrollment, LessonProgress
from lms.org.models import OrgUnit
from lms.training import importer
from lms.training.models import Assignment, ImportIssue, ImportKind, ImportStatus

bp = Blueprint("api", __name__, template_folder="templates")

BEARER_ONLY = (
    "token-authenticated API for other systems: bearer token, never the session cookie (decision 1712)"
)


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", "300 per minute"))


def token_route(rule: str, scope: ApiScope, methods: list[str] | None = None) -> Any:
    """Route + access + per-token rate limit, stated once for every /api/v1 operation."""

    def decorator(view: Any) -> Any:
        limited = limiter.limit(_rate_limit, key_func=rate_limit_key)(
            access(Access.TOKEN, scope=scope.value)(view)
        )
        if methods and "POST" in methods:
            limited = csrf_exempt(BEARER_ONLY)(limited)
        bp.add_url_rule(API_ROOT + rule, view.__name__, limited, methods=methods or ["GET"])
        return limited

    return decorator


# --- pages: an opaque cursor over a stable order (id) -----------------------------------------


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        after = None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
        invalid([{"field": "cursor", "code": "bad_cursor", "message": _("This cursor is not valid.")}])
    return int(after)


def page(stmt: Select[Any], id_column: Any, query: s.Query) -> tuple[list[Any], str | None]:
    after = decode_cursor(query.cursor)
    rows = list(
        db.session.scalars(stmt.where(id_column > after).order_by(id_column).limit(query.limit + 1)).unique()
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


def year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC), dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def unit_subtree(code: str | None) -> Any:
    """SQL: ids of the units under the ``unit`` filter (load-or-404, then in the token's subtree or 403)."""
    if code is None:
        return None
    unit = db.session.scalars(select(OrgUnit).where(func.lower(OrgUnit.code) == code.strip().lower())).first()
    if unit is None:
        abort(problem(404, _("No unit has the code %(code)s.", code=code)))
    if not unit_in_scope(current_account(), unit):
        abort(
            problem(403, _("Unit %(code)s is outside this token's part of the organisation.", code=unit.code))
        )
    return select(OrgUnit.id).where(OrgUnit.within(unit))


def report_filters(
    stmt: Select[Any],
    query: s.ReportQuery,
    *,
    unit: Any,
    course: Any,
    year: Any,
    updated: Any,
) -> Select[Any]:
    """The filters every report route shares: ``unit`` subtree, ``course_id``, ``year`` (on the
    datetime column ``year``, or an int column) and ``updated_since`` (``updated(since)`` → condition)."""
    if (units := unit_subtree(query.unit)) is not None:
        stmt = stmt.where(unit.in_(units))
    if query.course_id:
        stmt = stmt.where(course == query.course_id)
    if query.year:
        if isinstance(year.type, Integer):
            stmt = stmt.where(year == query.year)
        else:
            start, end = year_range(query.year)
            stmt = stmt.where(year >= start, year < end)
    if query.updated_since:
        stmt = stmt.where(updated(query.updated_since))
    return stmt


def person(user: User) -> s.PersonRef:
    return s.PersonRef(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        unit_code=user.org_unit.code if user.org_unit else None,
    )


# --- reads ------------------------------------------------------------------------------------


@token_route("/courses", ApiScope.COURSES_READ)
@operation("Courses", query=s.CourseQuery, response=s.CoursePage)
def courses(query: s.CourseQuery) -> s.CoursePage:
    """Published and archived courses (drafts are not shown); updated_since reads updated_at."""
    stmt = select(Course).where(Course.status.in_([CourseStatus.PUBLISHED, CourseStatus.ARCHIVED]))
    if query.updated_since:
        stmt = stmt.where(Course.updated_at >= query.updated_since)
    rows, cursor = page(stmt, Course.id, query)
    return s.CoursePage(
        next_cursor=cursor,
        items=[
            s.CourseOut(
                id=c.id,
                slug=c.slug,
                title=c.title,
                title_en=c.title_en,
                status=c.status,
                version=c.version,
                estimated_hours=float(c.estimated_hours),
                updated_at=c.updated_at,
            )
            for c in rows
        ],
    )


@token_route("/assignments", ApiScope.REPORTS_READ)
@operation("Course assignments", query=s.ReportQuery, response=s.AssignmentPage)
def assignments(query: s.ReportQuery) -> s.AssignmentPage:
    """Assignments made by units of the token's subtree (as HR sees them on the training pages).

    ``unit`` filters on the owning unit; ``year`` is the assignment's year; ``updated_since``
    reads when it was made or closed.
    """
    stmt = (
        select(Assignment)
        .join(OrgUnit, OrgUnit.id == Assignment.owner_unit_id)
        .options(
            joinedload(Assignment.course), joinedload(Assignment.unit), joinedload(Assignment.owner_unit)
        )
    )
    stmt = report_filters(
        filter_units_in_scope(stmt, current_account()),
        query,
        unit=Assignment.owner_unit_id,
        course=Assignment.course_id,
        year=Assignment.year,
        updated=lambda since: or_(Assignment.created_at >= since, Assignment.closed_at >= since),
    )
    rows, cursor = page(stmt, Assignment.id, query)
    return s.AssignmentPage(
        next_cursor=cursor,
        items=[
            s.AssignmentOut(
                id=a.id,
                course_id=a.course_id,
                course_slug=a.course.slug,
                year=a.year,
                due_at=a.due_at,
                unit_code=a.unit.code if a.unit else None,
                owner_unit_code=a.owner_unit.code,
                job_title=a.job_title,
                created_at=a.created_at,
                closed_at=a.closed_at,
            )
            for a in rows
        ],
    )


def _enrolments(query: s.ReportQuery, *, completed: bool) -> s.EnrolmentPage:
    stmt = (
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user).joinedload(User.org_unit), joinedload(Enrollment.course))
    )
    stmt = filter_in_scope(stmt, current_account(), User.org_unit_id)
    if completed:
        stmt = stmt.where(Enrollment.completed_at.is_not(None))

    def updated(since: dt.datetime) -> Any:
        progressed = exists().where(
            LessonProgress.enrollment_id == Enrollment.id,
            or_(LessonProgress.last_seen_at >= since, LessonProgress.completed_at >= since),
        )
        return or_(Enrollment.enrolled_at >= since, Enrollment.completed_at >= since, progressed)

    stmt = report_filters(
        stmt,
        query,
        unit=User.org_unit_id,
        course=Enrollment.course_id,
        year=Enrollment.completed_at if completed else Enrollment.enrolled_at,
        updated=updated,
    )
    rows, cursor = page(stmt, Enrollment.id, query)
    return s.EnrolmentPage(
        next_cursor=cursor,
        items=[
            s.EnrolmentOut(
                id=e.id,
                person=person(e.user),
                course_id=e.course_id,
                course_slug=e.course.slug,
                source=e.source,
                enrolled_at=e.enrolled_at,
                due_at=e.due_at,
                progress_percent=e.progress_percent,
                completed_at=e.completed_at,
            )
            for e in rows
        ],
    )


@token_route("/enrolments", ApiScope.REPORTS_READ)
@operation("Enrolments with progress", query=s.ReportQuery, response=s.EnrolmentPage)
def enrolments(query: s.ReportQuery) -> s.EnrolmentPage:
    """Enrolments of people whose unit lies in the token's subtree, with their progress.

    ``year`` is the year of enrolment; ``updated_since`` reads enrolment, completion and lesson progress.
    """
    return _enrolments(query, completed=False)


@token_route("/completions", ApiScope.REPORTS_READ)
@operation("Completed courses", query=s.ReportQuery, response=s.EnrolmentPage)
def completions(query: s.ReportQuery) -> s.EnrolmentPage:
    """Completed enrolments of people in the token's subtree; ``year`` is the year of completion."""
    return _enrolments(query, completed=True)


@token_route("/certificates", ApiScope.CERTIFICATES_READ)
@operation("Certificates", query=s.ReportQuery, response=s.CertificatePage)
def certificates(query: s.ReportQuery) -> s.CertificatePage:
    """Certificates of units in the token's subtree (the unit at issue); ``year`` is the year of issue.

    ``updated_since`` reads issue and revocation times.
    """
    stmt = select(Certificate).options(joinedload(Certificate.user).joinedload(User.org_unit))
    stmt = report_filters(
        filter_in_scope(stmt, current_account(), Certificate.org_unit_id),
        query,
        unit=Certificate.org_unit_id,
        course=Certificate.course_id,
        year=Certificate.issued_at,
        updated=lambda since: or_(Certificate.issued_at >= since, Certificate.revoked_at >= since),
    )
    rows, cursor = page(stmt, Certificate.id, query)
    return s.CertificatePage(
        next_cursor=cursor,
        items=[
            s.CertificateOut(
                id=c.id,
                code=c.display_code,
                status=str(c.effective_status),
                person=person(c.user),
                course_id=c.course_id,
                course_title=c.course_title,
                course_version=c.course_version,
                hours=c.hours,
                score=c.score,
                completed_at=c.completed_at,
                issued_at=c.issued_at,
                expires_at=c.expires_at,
                revoked_at=c.revoked_at,
            )
            for c in rows
        ],
    )


# --- bulk upserts through the file import ------------------------------------------------------


def _run_import(
    kind: ImportKind, columns: list[str], rows: list[dict[str, Any]], **options: Any
) -> s.UpsertResult:
    """Hand the rows to the people/unit file import as a CSV: the same checks, all or nothing."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    try:
        data = out.getvalue().encode("utf-8")
    except UnicodeEncodeError:
        invalid([{"field": "", "code": "bad_text", "message": _("The text is not valid Unicode.")}])
    account, token = current_account(), current_token()
    try:
        job = importer.start_import(
            db.session,
            kind=kind,
            filename=f"api-{token.prefix}.csv",
            upload=io.BytesIO(data),
            directory=Path(current_app.instance_path) / "imports",
            by=account,
            scope=token.unit,
            **options,
        )
    except importer.UploadNotSavedError:
        db.session.rollback()
        current_app.logger.exception("API import not saved")
        abort(problem(503, _("The server could not store the rows (disk full?). Nothing was written.")))
    while job.status == ImportStatus.VALIDATING:
        importer.validate_step(db.session, job)
    if job.status != ImportStatus.READY:
        issues = db.session.scalars(
            select(ImportIssue)
            .where(ImportIssue.job_id == job.id)
            .order_by(ImportIssue.row_no, ImportIssue.id)
            .limit(200)
        ).all()
        errors = [
            {
                "row": issue.row_no - 2,  # index in the list sent (row 1 of the file is the header)
                "field": issue.column,
                "code": issue.code,
                "message": importer.issue_message(issue),
            }
            for issue in issues
        ]
        db.session.rollback()  # nothing written: not even the import job
        invalid(errors, _("Nothing was written: %(n)d problems in the rows sent.", n=job.error_count))
    summary = importer.commit_import(db.session, job, by=account)
    db.session.commit()
    return s.UpsertResult(import_id=job.id, **summary)


@token_route("/people", ApiScope.PEOPLE_WRITE, methods=["POST"])
@operation("Create or update people (all or nothing)", body=s.PeopleUpsert, response=s.UpsertResult)
def upsert_people(body: s.PeopleUpsert) -> s.UpsertResult:
    """People are matched by username or e-mail as in the people file import, with its checks: each
    unit must lie in the token's subtree. One problem in any row and nothing is written (422 with
    every problem, ``row`` being the index in ``people``)."""
    columns = list(importer.PEOPLE_COLUMNS)
    rows = [p.model_dump() for p in body.people]
    return _run_import(ImportKind.PEOPLE, columns, rows, deactivate_missing=body.deactivate_missing)


@token_route("/units", ApiScope.UNITS_WRITE, methods=["POST"])
@operation("Create or update units (all or nothing)", body=s.UnitsUpsert, response=s.UpsertResult)
def upsert_units(body: s.UnitsUpsert) -> s.UpsertResult:
    """Units are matched by code as in the unit file import, with its checks: parents first, every
    parent inside the token's subtree. One problem and nothing is written (422)."""
    columns = list(importer.UNIT_COLUMNS)
    rows = [{**u.model_dump(), "remote": "1" if u.remote else "0"} for u in body.units]
    return _run_import(ImportKind.UNITS, columns, rows)


# --- the description: OpenAPI 3.1 and a docs page from bundled files ----------------------------


def spec_document() -> dict[str, Any]:
    return openapi(
        current_app,
        title="LMS HR API",
        version="1.0.0",
        description=(
            "For the province's personnel system: read courses, assignments, enrolments, completions and "
            "certificates; create or update units and people. Errors are RFC 9457 problem documents in the "
            "language of Accept-Language (vi, en)."
        ),
        server=request.script_root + API_ROOT,
    )


@bp.route(API_ROOT + "/openapi.json")
@access(
    Access.PUBLIC,
    reason="the API's description (no data): other systems' developers read it before having a token",
)
def openapi_json() -> Any:
    return jsonify(spec_document())


@bp.route(API_ROOT + "/docs")
@access(Access.PUBLIC, reason="the API's documentation page (no data), drawn from openapi.json")
def docs() -> str:
    """Server-rendered from the OpenAPI document: accessible, and readable without JavaScript (decision 1717)."""
    spec = spec_document()
    return render_template(
        "api/docs.html",
        info=spec["info"],
        operations=reference.operations(spec),
        schemas=reference.schemas(spec),
        spec_url=url_for("api.openapi_json"),
    )


@bp.route(API_ROOT + "/docs/try")
@access(Access.PUBLIC, reason="the bundled Swagger UI over openapi.json (no data), to try calls with a token")
def docs_try() -> str:
    return render_template("api/swagger.html", spec_url=url_for("api.openapi_json"))
