"""HR reports: dashboard per child unit, drill-down, people, person page, charts and exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.auth.access import Access, Permission, access, check_unit_scope, officer_root_or_403
from lms.auth.models import ITQualification, User
from lms.certificates.codes import format_code
from lms.core.pagination import Page
from lms.core.timefmt import to_local
from lms.db import db, utcnow
from lms.learning.models import Enrollment
from lms.org.models import OrgUnit
from lms.org.services import ancestors
from lms.reports import charts, exports, queries
from lms.reports import jobs as report_jobs
from lms.reports.queries import Filters

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

QUALIFICATION_LABELS = {
    ITQualification.MASTER: _l("Master's degree"),
    ITQualification.BACHELOR: _l("Bachelor's degree"),
    ITQualification.COLLEGE: _l("College"),
    ITQualification.INTERMEDIATE: _l("Intermediate"),
    ITQualification.NONE: _l("None"),
}


def read_filters() -> Filters:
    year = request.args.get("year", type=int) or dt.date.today().year
    if not 2000 <= year <= 2100:
        abort(404)
    qual = request.args.get("qual") or None
    if qual is not None and qual not in set(ITQualification):
        qual = None
    return Filters(
        year=year,
        course_id=request.args.get("course", type=int) or None,
        remote_only=request.args.get("remote") == "1",
        qualification=qual,
    )


def filter_args(filters: Filters) -> dict[str, object]:
    args: dict[str, object] = {"year": filters.year}
    if filters.course_id:
        args["course"] = filters.course_id
    if filters.remote_only:
        args["remote"] = "1"
    if filters.qualification:
        args["qual"] = filters.qualification
    return args


def load_unit(unit_id: int) -> OrgUnit:
    unit = db.get_or_404(OrgUnit, unit_id)
    check_unit_scope(current_user, unit)
    return unit


def breadcrumbs(unit: OrgUnit, root: OrgUnit) -> list[OrgUnit]:
    trail = [u for u in ancestors(db.session, unit) if u.within(root)]
    return [*trail, unit]


@bp.route("/")
@access(Access.STAFF, Permission.VIEW_REPORTS)
def dashboard() -> str:
    return unit_report(officer_root_or_403(db.session, current_user).id)


@bp.route("/units/<int:unit_id>")
@access(Access.STAFF, Permission.VIEW_REPORTS)
def unit_report(unit_id: int) -> str:
    root = officer_root_or_403(db.session, current_user)
    unit = load_unit(unit_id)
    filters = read_filters()
    figures = queries.figures(db.session, unit, filters)
    rows = figures.rows
    total = queries.totals(rows)
    months = figures.months
    quals = figures.qualifications
    remote_total, remote_reached = figures.remote_total, figures.remote_reached
    yearly = queries.classes_by_year(db.session, unit, filters.year)
    chart_svgs = {
        "by_unit": charts.bar_chart(
            [
                (r.name if not r.own else _("%(name)s (own staff)", name=r.name), r.completion_percent or 0)
                for r in rows
            ],
            label=_("Completion by unit"),
            suffix="%",
            max_value=100,
        ),
        "by_month": charts.column_chart(
            [str(m) for m in range(1, 13)], [(_("Completions"), months)], label=_("Completions by month")
        ),
        "by_qualification": charts.bar_chart(
            [(str(QUALIFICATION_LABELS[q]), quals.get(q.value, 0)) for q in ITQualification],
            label=_("Staff by IT qualification"),
        ),
        "remote": charts.bar_chart(
            [
                (_("Remote units reached"), remote_reached),
                (_("Remote units not reached"), remote_total - remote_reached),
            ],
            label=_("Remote-unit coverage"),
            max_value=max(remote_total, 1),
        ),
        "classes": charts.column_chart(
            [str(y) for y, _c, _a in yearly],
            [(_("Classes"), [c for _y, c, _a in yearly]), (_("Attendances"), [a for _y, _c, a in yearly])],
            label=_("Classes and attendances per year"),
        ),
    }
    return render_template(
        "reports/dashboard.html",
        unit=unit,
        root=root,
        trail=breadcrumbs(unit, root),
        rows=rows,
        total=total,
        filters=filters,
        args=filter_args(filters),
        courses=queries.course_choices(db.session),
        qualifications=QUALIFICATION_LABELS,
        charts=chart_svgs,
        remote=(remote_total, remote_reached),
        extra_exports=[("certificates", _("Certificates"))],
    )


@bp.route("/units/<int:unit_id>/people")
@access(Access.STAFF, Permission.VIEW_REPORTS)
def unit_people(unit_id: int) -> str:
    root = officer_root_or_403(db.session, current_user)
    unit = load_unit(unit_id)
    filters = read_filters()
    page = max(request.args.get("page", 1, type=int), 1)
    search = (request.args.get("q") or "").strip()[:100]
    status = request.args.get("status", "")
    status = status if status in queries.PEOPLE_STATUSES else ""
    sort = request.args.get("sort", "name")
    sort = sort if sort in queries.PEOPLE_SORTS else "name"
    own_only = request.args.get("own") == "1"
    per_page = 50
    total, rows = queries.people_page(
        db.session,
        unit,
        filters,
        page=page,
        per_page=per_page,
        search=search,
        status=status,
        own_only=own_only,
        sort=sort,
    )
    args = filter_args(filters)
    list_args = {**args, **({"status": status} if status else {}), **({"own": "1"} if own_only else {})}
    if sort != "name":
        list_args["sort"] = sort
    return render_template(
        "reports/people.html",
        unit=unit,
        trail=breadcrumbs(unit, root),
        rows=rows,
        total=total,
        page=Page(items=rows, number=page, per_page=per_page, total=total),
        q=search,
        filters=filters,
        args=args,
        list_args=list_args,
        status=status,
        sort=sort,
        own_only=own_only,
        courses=queries.course_choices(db.session),
        qualifications=QUALIFICATION_LABELS,
    )


@bp.route("/people/<int:user_id>")
@access(Access.STAFF, Permission.VIEW_REPORTS)
def person(user_id: int) -> str:
    officer_root_or_403(db.session, current_user)
    user = db.get_or_404(User, user_id)
    check_unit_scope(current_user, user.org_unit)
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .options(joinedload(Enrollment.course))
        .order_by(Enrollment.enrolled_at.desc())
    ).all()
    return render_template(
        "reports/person.html",
        person=user,
        enrollments=enrollments,
        attendance=queries.person_attendance(db.session, user.id),
        qualifications=QUALIFICATION_LABELS,
        now=utcnow(),
        certificates=queries.person_certificates(db.session, user.id),
        scores=queries.person_scores(db.session, user.id),
    )


# --- exports -----------------------------------------------------------------------------

EXPORT_KINDS = {"units", "people", "attendance", "certificates"}


@bp.route("/units/<int:unit_id>/export/<kind>.<fmt>", methods=["GET", "POST"])
@access(Access.STAFF, Permission.VIEW_REPORTS)
def export(unit_id: int, kind: str, fmt: str) -> Any:
    officer_root_or_403(db.session, current_user)
    unit = load_unit(unit_id)
    if kind not in EXPORT_KINDS or fmt not in {"csv", "xlsx"}:
        abort(404)
    filters = read_filters()
    large = (
        kind != "units"
        and report_jobs.people_in(db.session, unit) > current_app.config["EXPORT_JOB_THRESHOLD"]
    )
    if request.method == "POST" or large:
        # Large exports are prepared by a background job; a GET only offers the button (no state change).
        if request.method == "GET":
            return render_template("jobs/confirm.html", title=_("Prepare the export"), name=f"{kind}.{fmt}")
        job_row = report_jobs.enqueue_export(
            db.session, unit=unit, kind=kind, fmt=fmt, filters=filters, by=current_user
        )
        db.session.commit()
        return redirect(url_for("jobs.status", background_job_id=job_row.id))
    header, rows, title = export_data(kind, unit, filters)
    stamp = f"{unit.code}-{filters.year}"
    if fmt == "csv":
        body = exports.csv_stream(header, rows)
        mimetype = "text/csv"
    else:
        body = exports.xlsx_stream(title, header, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.{fmt}"'
    response.headers["X-Accel-Buffering"] = "no"
    return response


SOURCE_LABELS = {"assigned": _l("Assigned"), "self": _l("Self-enrolled")}


def _local_day(value: dt.datetime | None) -> dt.date | None:
    """A stored UTC instant as the local calendar day (due dates and issue dates have no time of day)."""
    return to_local(value).date() if value is not None else None


def _people_export_rows(rows):
    """People detail with words instead of codes (qualification, source) and local days."""
    for r in rows:
        (code, unit, name, username, email, job, qual, course, source, progress, due, done, overdue) = r
        yield [
            code,
            unit,
            name,
            username,
            email,
            job,
            str(QUALIFICATION_LABELS.get(qual, qual)) if qual else "",
            course,
            str(SOURCE_LABELS.get(source, source)) if source else "",
            progress,
            _local_day(due),
            _local_day(done),
            overdue if course else None,
        ]


def export_data(kind: str, unit: OrgUnit, filters: Filters):
    if kind == "units":
        header = [
            "Mã đơn vị", "Tên đơn vị", "Vùng sâu vùng xa", "Số cán bộ", "Được giao", "Hoàn thành",
            "Đang học", "Quá hạn", "Chỉ tiêu", "Đạt chỉ tiêu", "% chỉ tiêu",
        ]  # fmt: skip
        rows = (
            [
                r.code,
                r.name,
                r.is_remote,
                r.staff,
                r.assigned,
                r.completed,
                r.in_progress,
                r.overdue,
                r.target,
                r.achieved,
                r.target_percent,
            ]
            for r in queries.unit_rows(db.session, unit, filters)
        )
        return header, rows, "Tổng hợp đơn vị"
    if kind == "people":
        header = [
            "Mã đơn vị", "Đơn vị", "Họ tên", "Tên đăng nhập", "Email", "Chức danh", "Trình độ CNTT",
            "Khoá học", "Nguồn", "Tiến độ (%)", "Hạn hoàn thành", "Ngày hoàn thành", "Quá hạn",
        ]  # fmt: skip
        return (
            header,
            _people_export_rows(queries.people_detail_rows(db.session, unit, filters)),
            "Chi tiết cán bộ",
        )
    if kind == "certificates":
        header = ["Mã chứng chỉ", "Họ tên", "Tên đăng nhập", "Đơn vị", "Khoá học", "Ngày cấp", "Trạng thái"]
        cert_rows: Iterator[list[Any]] = (
            [format_code(r[0]), *r[1:5], _local_day(r[5]), r[6]]
            for r in queries.certificate_rows(db.session, unit, filters)
        )
        return header, cert_rows, "Chứng chỉ"
    header = ["Lớp", "Khoá học", "Địa điểm", "Ngày học", "Họ tên", "Tên đăng nhập", "Đơn vị", "Có mặt"]
    return header, queries.attendance_rows(db.session, unit, filters), "Điểm danh"
