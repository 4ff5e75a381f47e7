"""HR pages for assignments, targets, classes, attendance and imports; the learner's assigned courses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from lms.auth.access import (
    Access,
    Permission,
    access,
    can,
    check_unit_scope,
    filter_units_in_scope,
    officer_root_or_403,
    scope_unit,
)
from lms.auth.models import User
from lms.catalog.models import Course, published_courses
from lms.core.pagination import Page
from lms.core.timefmt import local_end_of_day
from lms.db import db, utcnow
from lms.jobs import enqueue
from lms.learning.models import Enrollment
from lms.org.models import OrgUnit
from lms.training import importer, services
from lms.training.forms import (
    AssignmentForm,
    AttendanceImportForm,
    ClassForm,
    ImportForm,
    NoticeMailForm,
    RosterForm,
    TargetForm,
)
from lms.training.jobs import COMMIT_IMPORT, import_key
from lms.training.models import (
    Assignment,
    ClassMember,
    ImportIssue,
    ImportJob,
    ImportStatus,
    Target,
    TrainingClass,
)

bp = Blueprint("training", __name__, url_prefix="/training", template_folder="templates")


def scoped_units() -> list[OrgUnit]:
    stmt = filter_units_in_scope(select(OrgUnit).where(OrgUnit.is_active.is_(True)), current_user)
    return list(db.session.scalars(stmt.order_by(OrgUnit.path)))


def unit_choices(units: list[OrgUnit], blank: str | None = None) -> list[tuple[int, str]]:
    choices = [(0, blank)] if blank else []
    return choices + [(u.id, "\u2003" * u.depth + f"{u.name} ({u.code})") for u in units]


def course_choices() -> list[tuple[int, str]]:
    """Published courses only: a draft cannot be assigned, targeted or taught in a class."""
    return [(c.id, c.title) for c in db.session.scalars(published_courses())]


def end_of_day(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return local_end_of_day(day)


def people_from_lines(text: str, root: OrgUnit | None) -> tuple[list[User], list[str]]:
    """Users named one per line (username or e-mail) within scope, and the names not found."""
    names = [n.strip().lower() for n in (text or "").splitlines() if n.strip()]
    if not names:
        return [], []
    stmt = (
        select(User)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            or_(func.lower(User.username).in_(names), func.lower(User.email).in_(names)),
            User.is_active.is_(True),
        )
    )
    if root is not None:
        stmt = stmt.where(OrgUnit.within(root))
    found = list(db.session.scalars(stmt))
    known = {u.username.lower() for u in found} | {(u.email or "").lower() for u in found}
    return found, [n for n in names if n not in known]


# --- learner -----------------------------------------------------------------------------


@bp.route("/my")
@access(Access.SIGNED_IN)
def my_assignments() -> str:
    """Assigned courses first, soonest due date first, overdue flagged."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == current_user.id)
        .options(joinedload(Enrollment.course))
        .order_by(
            (Enrollment.source != "assigned"),
            Enrollment.completed_at.is_not(None),
            Enrollment.due_at.is_(None),
            Enrollment.due_at,
        )
    ).all()
    return render_template("training/my.html", enrollments=enrollments, now=utcnow())


@bp.route("/notifications")
@access(Access.SIGNED_IN)
def notifications() -> str:
    """The learner's notifications (due dates, new assignments, certificates, classes) and calendar URL."""
    from lms.training import notices

    feed = url_for(
        "training.calendar",
        user_id=current_user.id,
        token=notices.calendar_token(current_user),
        _external=True,
    )
    return render_template(
        "training/notifications.html",
        notices=notices.notices_for(db.session, current_user, utcnow()),
        feed=feed,
    )


@bp.route("/notifications/email", methods=["GET", "POST"])
@access(Access.SIGNED_IN)
def notice_settings() -> str | Response:
    """Which notifications the signed-in user gets by e-mail (the link at the foot of each e-mail)."""
    from lms.training import notice_mail
    from lms.training.models import NoticePreference

    form = NoticeMailForm()
    form.kinds.choices = [(k, str(label)) for k, label in notice_mail.KIND_LABELS.items()]
    if request.method == "GET":
        form.kinds.data = sorted(notice_mail.mail_kinds(db.session.get(NoticePreference, current_user.id)))
    if form.validate_on_submit():
        notice_mail.set_mail_kinds(db.session, current_user, set(form.kinds.data or []))
        db.session.commit()
        flash(_("Your e-mail settings are saved."), "success")
        return redirect(url_for("training.notice_settings"))
    return render_template(
        "training/notice_settings.html",
        form=form,
        has_email=bool(current_user.email),
        mail_on=notice_mail.mail_configured(),
    )


@bp.route("/calendar/<int:user_id>/<token>.ics")
@access(Access.PUBLIC, reason="a calendar app cannot log in; the URL carries the learner's secret token")
def calendar(user_id: int, token: str) -> Response:
    from lms.training import notices

    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not notices.token_matches(user, token):
        abort(404)
    body = notices.calendar_feed(db.session, user, utcnow(), request.host.split(":")[0])
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="hoc-truc-tuyen.ics"'
    return response


# --- assignments -------------------------------------------------------------------------


@bp.route("/assignments", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def assignments() -> str | Response:
    root = officer_root_or_403(db.session, current_user)
    units = scoped_units()
    form = AssignmentForm()
    form.course_id.choices = course_choices()
    form.unit_id.choices = unit_choices(units, _("— listed people —"))
    if form.validate_on_submit():
        course = db.get_or_404(Course, form.course_id.data)
        unit = None
        people: list[User] = []
        if form.unit_id.data:
            unit = db.get_or_404(OrgUnit, form.unit_id.data)
            check_unit_scope(current_user, unit)
        else:
            people, missing = people_from_lines(form.people.data, scope_unit(current_user))
            if missing:
                form.people.errors.append(
                    _("Not found in your units: %(names)s", names=", ".join(missing[:20]))
                )
        if not form.people.errors:
            _assignment, enrolled = services.create_assignment(
                db.session,
                course=course,
                year=form.year.data,
                due_at=end_of_day(form.due_date.data),
                unit=unit,
                job_title=form.job_title.data or "",
                people=people,
                owner=root,
                by=current_user,
            )
            db.session.commit()
            flash(_("Course assigned: %(n)d people enrolled.", n=enrolled), "success")
            return redirect(url_for("training.assignments"))
    stmt = (
        select(Assignment)
        .join(OrgUnit, OrgUnit.id == Assignment.owner_unit_id)
        .options(joinedload(Assignment.course), joinedload(Assignment.unit))
        .order_by(Assignment.year.desc(), Assignment.due_at, Assignment.id.desc())
    )
    rows = db.session.scalars(filter_units_in_scope(stmt, current_user)).all()
    return render_template("training/assignments.html", form=form, assignments=rows, root=root, now=utcnow())


@bp.route("/assignments/<int:assignment_id>/close", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def close_assignment(assignment_id: int) -> Response:
    assignment = db.get_or_404(Assignment, assignment_id)
    check_unit_scope(current_user, assignment.owner_unit)
    services.close_assignment(db.session, assignment, by=current_user)
    db.session.commit()
    flash(_("The assignment is closed: new staff no longer receive it."), "success")
    return redirect(url_for("training.assignments"))


# --- targets -----------------------------------------------------------------------------


@bp.route("/targets", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def targets() -> str | Response:
    root = officer_root_or_403(db.session, current_user)
    units = scoped_units()
    form = TargetForm()
    form.unit_id.choices = unit_choices(units)
    form.course_id.choices = course_choices()
    year = request.args.get("year", type=int) or form.year.data or dt.date.today().year
    if form.validate_on_submit():
        unit = db.get_or_404(OrgUnit, form.unit_id.data)
        check_unit_scope(current_user, unit)
        course = db.get_or_404(Course, form.course_id.data)
        services.set_target(
            db.session, year=form.year.data, unit=unit, course=course, count=form.count.data, by=current_user
        )
        db.session.commit()
        flash(_("Target saved."), "success")
        return redirect(url_for("training.targets", year=form.year.data))
    stmt = (
        select(Target)
        .join(OrgUnit, OrgUnit.id == Target.unit_id)
        .where(Target.year == year)
        .options(joinedload(Target.unit), joinedload(Target.course))
        .order_by(OrgUnit.path)
    )
    rows = db.session.scalars(filter_units_in_scope(stmt, current_user)).all()
    return render_template("training/targets.html", form=form, targets=rows, year=year, root=root)


# --- classes -----------------------------------------------------------------------------


def load_class(class_id: int) -> TrainingClass:
    cls = db.get_or_404(TrainingClass, class_id)
    check_unit_scope(current_user, cls.unit)
    return cls


@bp.route("/classes")
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def classes() -> str:
    officer_root_or_403(db.session, current_user)
    counts = select(ClassMember.class_id, func.count().label("n")).group_by(ClassMember.class_id).subquery()
    stmt = (
        select(TrainingClass, func.coalesce(counts.c.n, 0))
        .join(OrgUnit, OrgUnit.id == TrainingClass.unit_id)
        .outerjoin(counts, counts.c.class_id == TrainingClass.id)
        .options(joinedload(TrainingClass.course), joinedload(TrainingClass.unit))
        .order_by(TrainingClass.starts_on.desc())
    )
    rows = db.session.execute(filter_units_in_scope(stmt, current_user)).all()
    return render_template("training/classes.html", rows=rows)


@bp.route("/classes/new", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def new_class() -> str | Response:
    officer_root_or_403(db.session, current_user)
    units = scoped_units()
    form = ClassForm()
    form.course_id.choices = course_choices()
    form.unit_id.choices = unit_choices(units)
    form.invited.choices = unit_choices(units)
    if form.validate_on_submit():
        unit = db.get_or_404(OrgUnit, form.unit_id.data)
        check_unit_scope(current_user, unit)
        course = db.get_or_404(Course, form.course_id.data)
        invited = list(db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(form.invited.data or []))))
        for u in invited:
            check_unit_scope(current_user, u)
        cls = services.create_class(
            db.session,
            course=course,
            unit=unit,
            title=form.title.data,
            place=form.place.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            trainer=form.trainer.data or "",
            capacity=form.capacity.data,
            invited=invited,
            by=current_user,
        )
        db.session.commit()
        flash(_("Class created. Now add people to its roster."), "success")
        return redirect(url_for("training.class_detail", class_id=cls.id))
    return render_template("training/class_form.html", form=form)


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def class_detail(class_id: int) -> str | Response:
    cls = load_class(class_id)
    form = RosterForm()
    if form.validate_on_submit():
        people, missing = people_from_lines(form.people.data, scope_unit(current_user))
        if missing:
            form.people.errors.append(_("Not found in your units: %(names)s", names=", ".join(missing[:20])))
        else:
            try:
                added = services.add_to_roster(db.session, cls, [p.id for p in people], by=current_user)
            except services.TrainingError:
                db.session.rollback()
                form.people.errors.append(_("The class is full."))
            else:
                db.session.commit()
                flash(_("%(n)d people added to the roster.", n=added), "success")
                return redirect(url_for("training.class_detail", class_id=cls.id))
    roster = db.session.execute(
        select(User, OrgUnit.name)
        .join(ClassMember, ClassMember.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(ClassMember.class_id == cls.id)
        .order_by(User.full_name)
    ).all()
    invited_count = db.session.scalar(
        select(func.count()).select_from(services.invited_people(cls).subquery())
    )
    return render_template(
        "training/class_detail.html",
        cls=cls,
        roster=roster,
        form=form,
        import_form=AttendanceImportForm(),
        invited_count=invited_count,
        certificates_url=certificates_url(cls),
    )


def certificates_url(cls: TrainingClass) -> str | None:
    """Link to the certificates list filtered by this class (for those who manage certificates)."""
    if not can(current_user, Permission.MANAGE_CERTIFICATES):
        return None
    query: dict[str, Any] = {"class": cls.id}
    return url_for("certificates.index", **query)


@bp.route("/classes/<int:class_id>/invite", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def add_invited(class_id: int) -> Response:
    """Fill the roster with the invited units' staff, up to the class's capacity."""
    cls = load_class(class_id)
    room = cls.capacity - services.roster_count(db.session, cls)
    ids = list(
        db.session.scalars(services.invited_people(cls).with_only_columns(User.id).limit(max(room, 0)))
    )
    added = services.add_to_roster(db.session, cls, ids, by=current_user) if ids else 0
    db.session.commit()
    flash(_("%(n)d people added to the roster.", n=added), "success")
    return redirect(url_for("training.class_detail", class_id=cls.id))


@bp.route("/classes/<int:class_id>/roster/<int:user_id>/remove", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def remove_member(class_id: int, user_id: int) -> Response:
    cls = load_class(class_id)
    services.remove_from_roster(db.session, cls, user_id, by=current_user)
    db.session.commit()
    flash(_("Removed from the roster."), "success")
    return redirect(url_for("training.class_detail", class_id=cls.id))


@bp.route("/classes/<int:class_id>/attendance/<day>", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def attendance(class_id: int, day: str) -> str | Response:
    cls = load_class(class_id)
    try:
        session_date = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    if session_date not in cls.session_dates():
        abort(404)
    if request.method == "POST":
        absent = {int(v) for v in request.form.getlist("absent") if v.isdigit()}
        saved = services.record_attendance(db.session, cls, session_date, absent, by=current_user)
        if not saved.changed:
            flash(_("Nothing changed: the attendance of this day was already saved like this."), "info")
            return redirect(url_for("training.class_detail", class_id=cls.id))
        db.session.commit()
        flash(_("Attendance saved: %(p)d present, %(a)d absent.", p=saved.present, a=saved.absent), "success")
        return redirect(url_for("training.class_detail", class_id=cls.id))
    sheet = services.attendance_sheet(db.session, cls, session_date)
    return render_template("training/attendance.html", cls=cls, day=session_date, sheet=sheet)


@bp.route("/classes/<int:class_id>/attendance-import", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_TRAINING)
def import_attendance(class_id: int) -> str | Response:
    cls = load_class(class_id)
    form = AttendanceImportForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV file."), "error")
        return redirect(url_for("training.class_detail", class_id=cls.id))
    try:
        rows = list(importer.read_attendance_csv(form.file.data.stream))
    except (UnicodeError, ValueError):
        rows = None
    if rows is None:
        flash(_("The file could not be read as CSV."), "error")
        return redirect(url_for("training.class_detail", class_id=cls.id))
    problems = services.import_attendance(db.session, cls, rows, by=current_user)
    if problems:
        db.session.rollback()
        messages = {
            "unknown_person": _("No person with this username or e-mail: %(value)s"),
            "not_on_roster": _("%(value)s is not on the class's roster."),
            "bad_date": _("%(value)s is not one of the class's dates."),
            "bad_present": _("Write có or không, not %(value)s."),
        }
        shown = [(row, messages[code] % {"value": value}) for row, code, value in problems]
        return make_response(
            render_template("training/attendance_problems.html", cls=cls, problems=shown), 422
        )
    db.session.commit()
    flash(_("Attendance imported: %(n)d rows.", n=len(rows)), "success")
    return redirect(url_for("training.class_detail", class_id=cls.id))


# --- imports -----------------------------------------------------------------------------


def import_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def load_job(job_id: int) -> ImportJob:
    job = db.get_or_404(ImportJob, job_id)
    if not importer.job_in_scope(job, current_user):
        abort(403)
    return job


@bp.route("/imports", methods=["GET", "POST"])
@access(Access.STAFF, Permission.MANAGE_PEOPLE)
def imports() -> str | Response:
    root = officer_root_or_403(db.session, current_user)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = importer.start_import(
                db.session,
                kind=form.kind.data,
                filename=upload.filename or "upload",
                upload=upload.stream,
                directory=import_dir(),
                by=current_user,
                scope=scope_unit(current_user),
                deactivate_missing=form.deactivate_missing.data,
            )
        except importer.UploadNotSavedError:
            db.session.rollback()  # no job row; start_import removed its files
            current_app.logger.exception("import upload not saved")
            flash(
                _(
                    "The file could not be saved on the server (its disk is full or read-only). "
                    "Nothing was imported. Please tell the administrator and try again later."
                ),
                "error",
            )
            return redirect(url_for("training.imports"))
        db.session.commit()
        return redirect(url_for("training.import_job", job_id=job.id))
    stmt = select(ImportJob).order_by(ImportJob.id.desc()).limit(20)
    if not current_user.has_role("admin"):
        stmt = stmt.where(
            or_(
                ImportJob.created_by_id == current_user.id,
                ImportJob.scope_unit_id == current_user.scope_unit_id,
            )
        )
    jobs = db.session.scalars(stmt).all()
    return render_template("training/imports.html", form=form, jobs=jobs, root=root)


@bp.route("/imports/<int:job_id>")
@access(Access.STAFF, Permission.MANAGE_PEOPLE)
def import_job(job_id: int) -> str:
    job = load_job(job_id)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = 100
    issues = db.session.scalars(
        select(ImportIssue)
        .where(ImportIssue.job_id == job.id)
        .order_by(ImportIssue.row_no, ImportIssue.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    stored = min(job.error_count, importer.MAX_ERRORS)
    return render_template(
        "training/import_job.html",
        job=job,
        issues=issues,
        page=Page(items=list(issues), number=page, per_page=per_page, total=stored),
        message=importer.issue_message,
        column=importer.column_label,
        Status=ImportStatus,
    )


@bp.route("/imports/<int:job_id>/step", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_PEOPLE)
def import_step(job_id: int) -> Response:
    """Validate the next bounded chunk of rows (the progress page posts this until done)."""
    job = load_job(job_id)
    importer.validate_step(db.session, job)
    db.session.commit()
    return redirect(url_for("training.import_job", job_id=job.id))


@bp.route("/imports/<int:job_id>/commit", methods=["POST"])
@access(Access.STAFF, Permission.MANAGE_PEOPLE)
def import_commit(job_id: int) -> Response:
    job = load_job(job_id)
    if job.status != ImportStatus.READY:
        abort(409)
    if job.total_rows > current_app.config.get("IMPORT_JOB_THRESHOLD", 2000):
        # A large import is written by a background job (one transaction there, not in this request).
        queued = enqueue(
            db.session,
            COMMIT_IMPORT,
            key=import_key(job.id),
            import_id=job.id,
            by_id=current_user.id,
            by=current_user,
            return_to=url_for("training.import_job", job_id=job.id),
        )
        db.session.commit()
        return redirect(url_for("jobs.status", background_job_id=queued.id))
    summary = importer.commit_import(db.session, job, by=current_user)
    db.session.commit()
    flash(
        _(
            "Import finished: %(c)d created, %(u)d updated, %(d)d deactivated.",
            c=summary["created"],
            u=summary["updated"],
            d=summary["deactivated"],
        ),
        "success",
    )
    return redirect(url_for("training.import_job", job_id=job.id))
