"""Admin pages: users (roles, HR scope, reset links), the unit tree, the audit log.

Every view: load-or-404 → require permission (403) → validate form → service → commit → flash → redirect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from lms.admin.forms import (
    KIND_LABELS,
    NO_UNIT,
    ROLE_LABELS,
    AuditFilterForm,
    MergeUnitForm,
    MoveUnitForm,
    NewUnitForm,
    UnitForm,
    UserFilterForm,
    UserForm,
)
from lms.auth import services as auth_services
from lms.auth.access import Access, Permission, access
from lms.auth.models import Role, User
from lms.core import audit
from lms.core.mail import mail_configured, send_mail
from lms.core.models import AuditEvent
from lms.core.pagination import page_number, paginate
from lms.core.timefmt import local_midnight, to_local
from lms.db import db
from lms.org import services as org_services
from lms.org.models import OrgUnit

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

USERS_PER_PAGE = 50
AUDIT_PER_PAGE = 50


def _unit_or_none(unit_id: int) -> OrgUnit | None:
    if not unit_id or unit_id == NO_UNIT:
        return None
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit.is_active:
        abort(400)
    return unit


@bp.route("/")
@access(Access.STAFF, Permission.ADMIN_USERS)
def index() -> str:
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(User.is_active.is_(True))),
        "units": db.session.scalar(select(func.count(OrgUnit.id)).where(OrgUnit.is_active.is_(True))),
    }
    return render_template("admin/index.html", counts=counts)


# --- Users ---------------------------------------------------------------------


@bp.route("/users")
@access(Access.STAFF, Permission.ADMIN_USERS)
def users() -> str:
    form = UserFilterForm(db.session, formdata=request.args)
    stmt = select(User).options(joinedload(User.org_unit))
    if form.validate():
        if form.q.data:
            q = form.q.data.strip()  # % and _ are searched for, not wildcards
            stmt = stmt.where(
                or_(
                    *(
                        col.icontains(q, autoescape=True)
                        for col in (User.username, User.full_name, User.email)
                    )
                )
            )
        if form.role.data:
            stmt = stmt.where(User.role_rows.any(role=form.role.data))
        if form.unit.data:
            root = db.session.get(OrgUnit, form.unit.data)
            if root is not None:
                stmt = stmt.where(User.org_unit.has(OrgUnit.within(root)))
        if form.status.data == "active":
            stmt = stmt.where(User.is_active.is_(True))
        elif form.status.data == "inactive":
            stmt = stmt.where(User.is_active.is_(False))
    stmt = stmt.order_by(User.full_name, User.id)
    page = paginate(db.session, stmt, page_number(request.args.get("page")), USERS_PER_PAGE)
    filters = {k: v for k, v in request.args.items() if k not in {"page", "submit"} and v}
    return render_template("admin/users.html", form=form, page=page, filters=filters, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def user_new() -> str | Response:
    form = UserForm(db.session)
    if request.method == "GET":
        form.roles.data = [Role.LEARNER.value]
        form.org_unit.data = request.args.get("unit", NO_UNIT, type=int)
    if form.validate_on_submit():
        try:
            user = auth_services.create_user(db.session, by=current_user, **_account_fields(form))
        except auth_services.AccountError as exc:  # taken between validation and insert
            db.session.rollback()
            _account_error_to_form(form, exc)
            return render_template("admin/user_form.html", form=form, user=None)
        db.session.commit()
        flash(
            _("Account %(name)s created. Create a password reset link and hand it over.", name=user.username),
            "success",
        )
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


def _account_fields(form: UserForm) -> dict[str, Any]:
    """The account form's values as create_user/update_user keyword arguments (one mapping for both)."""
    return {
        "username": form.username.data,
        "full_name": form.full_name.data,
        "email": form.email.data,
        "org_unit": _unit_or_none(form.org_unit.data),
        "job_title": form.job_title.data or "",
        "it_qualification": form.it_qualification.data,
        "roles": set(form.roles.data),
        "scope_unit": _unit_or_none(form.scope_unit.data),
    }


def _account_error_to_form(form: UserForm, exc: auth_services.AccountError) -> None:
    field, message = {
        "username_taken": (form.username, _("This username is already used by another account.")),
        "email_taken": (form.email, _("This e-mail address is already used by another account.")),
        "own_admin_role": (form.roles, _("You cannot remove your own administrator role.")),
    }.get(exc.code, (form.roles, _("The changes could not be saved.")))
    field.errors = [*field.errors, message]


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def user_edit(user_id: int) -> str | Response:
    user = db.get_or_404(User, user_id)
    form = UserForm(db.session, user=user, obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.org_unit.data = user.org_unit_id or NO_UNIT
        form.scope_unit.data = user.scope_unit_id or NO_UNIT
    if form.validate_on_submit():
        try:
            auth_services.update_user(db.session, user, by=current_user, **_account_fields(form))
        except auth_services.AccountError as exc:
            db.session.rollback()
            _account_error_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    recent = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject == f"user:{user.id}")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(10)
    ).all()
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        recent=recent,
        action_labels=audit.ACTION_LABELS,
        mail_on=mail_configured(),
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def user_deactivate(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    try:
        auth_services.deactivate_user(db.session, user, by=current_user)
    except auth_services.AccountError:
        flash(_("You cannot deactivate your own account."), "error")
    else:
        db.session.commit()
        flash(_("Account %(name)s deactivated; the person is logged out.", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def user_reactivate(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    auth_services.reactivate_user(db.session, user, by=current_user)
    db.session.commit()
    flash(_("Account %(name)s reactivated.", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def user_reset_link(user_id: int) -> str | Response:
    user = db.get_or_404(User, user_id)
    if not user.is_active:
        flash(_("Reactivate the account before creating a reset link."), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    token = auth_services.create_reset_token(db.session, user, by=current_user)
    db.session.commit()
    link = url_for("auth.reset_password", token=token, _external=True)
    expires = to_local(dt.datetime.now(dt.UTC) + auth_services.RESET_TOKEN_TTL)
    mailed = False
    if mail_configured() and user.email:
        mailed = send_mail(
            user.email,
            _("Set your password for the online learning site"),
            _(
                "Hello %(name)s,\n\nOpen this link to set your password (it works once, until %(until)s):\n%(link)s\n",
                name=user.full_name,
                until=expires.strftime("%H:%M %d/%m/%Y"),
                link=link,
            ),
        )
    # The link is shown on this response only (never stored in clear, never cached).
    return render_template("admin/reset_link.html", user=user, link=link, mailed=mailed, expires=expires)


# --- Units -----------------------------------------------------------------------


@bp.route("/units")
@access(Access.STAFF, Permission.ADMIN_UNITS)
def units() -> str:
    show_all = request.args.get("show") == "all"
    stmt = select(OrgUnit)
    if not show_all:
        stmt = stmt.where(OrgUnit.is_active.is_(True))
    rows = db.session.scalars(stmt.order_by(OrgUnit.path)).all()
    own: dict[int | None, int] = dict(
        db.session.execute(
            select(User.org_unit_id, func.count(User.id))
            .where(User.is_active.is_(True), User.org_unit_id.is_not(None))
            .group_by(User.org_unit_id)
        )
        .tuples()
        .all()
    )
    children: dict[int | None, list[OrgUnit]] = {}
    ids = {u.id for u in rows}
    for u in rows:
        parent = u.parent_id if u.parent_id in ids else None
        children.setdefault(parent, []).append(u)
    for siblings in children.values():
        siblings.sort(key=lambda u: u.name)
    total: dict[int, int] = {}
    for u in reversed(rows):  # paths sort parents before children
        total[u.id] = own.get(u.id, 0) + sum(total.get(c.id, 0) for c in children.get(u.id, []))
    return render_template(
        "admin/units.html",
        roots=children.get(None, []),
        children=children,
        own=own,
        total=total,
        show_all=show_all,
        kind_labels=KIND_LABELS,
    )


@bp.route("/units/new", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_UNITS)
def unit_new() -> str | Response:
    form = NewUnitForm(db.session)
    if request.method == "GET":
        form.parent.data = request.args.get("parent", NO_UNIT, type=int)
    if form.validate_on_submit():
        unit = org_services.create_unit(
            db.session,
            code=form.code.data,
            name=form.name.data,
            kind=form.kind.data,
            parent=_unit_or_none(form.parent.data),
            is_remote=form.is_remote.data,
            by=current_user,
        )
        db.session.commit()
        flash(_("Unit %(name)s created.", name=unit.name), "success")
        return redirect(url_for("admin.units") + f"#unit-{unit.id}")
    return render_template("admin/unit_new.html", form=form)


def _unit_page(unit: OrgUnit, form: UnitForm, move_form: MoveUnitForm, merge_form: MergeUnitForm) -> str:
    path = org_services.ancestors(db.session, unit)
    sub_units = db.session.scalar(
        select(func.count(OrgUnit.id)).where(OrgUnit.within(unit), OrgUnit.id != unit.id)
    )
    return render_template(
        "admin/unit_edit.html",
        unit=unit,
        form=form,
        move_form=move_form,
        merge_form=merge_form,
        path=path,
        people=auth_services.people_count(db.session, unit),
        sub_units=sub_units,
        kind_labels=KIND_LABELS,
    )


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_UNITS)
def unit_edit(unit_id: int) -> str | Response:
    unit = db.get_or_404(OrgUnit, unit_id)
    form = UnitForm(db.session, unit=unit, obj=unit if request.method == "GET" else None)
    if form.validate_on_submit():
        org_services.update_unit(
            db.session,
            unit,
            code=form.code.data,
            name=form.name.data,
            kind=form.kind.data,
            is_remote=form.is_remote.data,
            by=current_user,
        )
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    move_form = MoveUnitForm(db.session, unit, formdata=None)
    move_form.parent.data = unit.parent_id or NO_UNIT
    return _unit_page(unit, form, move_form, MergeUnitForm(db.session, unit, formdata=None))


@bp.route("/units/<int:unit_id>/move", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_UNITS)
def unit_move(unit_id: int) -> str | Response:
    unit = db.get_or_404(OrgUnit, unit_id)
    move_form = MoveUnitForm(db.session, unit)
    if move_form.validate_on_submit():
        try:
            org_services.move_unit(db.session, unit, _unit_or_none(move_form.parent.data), by=current_user)
        except org_services.OrgError:
            move_form.parent.errors.append(_("A unit cannot move under itself or one of its sub-units."))
        else:
            db.session.commit()
            flash(_("Unit %(name)s moved with all its sub-units.", name=unit.name), "success")
            return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    form = UnitForm(db.session, unit=unit, obj=unit, formdata=None)
    return _unit_page(unit, form, move_form, MergeUnitForm(db.session, unit, formdata=None))


@bp.route("/units/<int:unit_id>/merge", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_UNITS)
def unit_merge(unit_id: int) -> str | Response:
    unit = db.get_or_404(OrgUnit, unit_id)
    merge_form = MergeUnitForm(db.session, unit)
    if not unit.is_active:
        flash(_("This unit has already been merged."), "error")
        return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    if merge_form.validate_on_submit():
        target = _unit_or_none(merge_form.target.data)
        assert target is not None  # validate_target refuses "none"  # noqa: S101
        if merge_form.confirm.data != "yes":
            # Step 1: say exactly what will happen, and ask again.
            merge_form.confirm.data = "yes"
            children = db.session.scalar(select(func.count(OrgUnit.id)).where(OrgUnit.parent_id == unit.id))
            return render_template(
                "admin/unit_merge_confirm.html",
                unit=unit,
                target=target,
                form=merge_form,
                people=auth_services.people_count(db.session, unit),
                children=children,
            )
        try:
            moved = auth_services.merge_units(db.session, unit, target, by=current_user)
        except org_services.OrgError:
            merge_form.target.errors.append(_("A unit cannot be merged into itself or one of its sub-units."))
        else:
            db.session.commit()
            flash(
                _(
                    "%(source)s merged into %(target)s; %(n)d people moved.",
                    source=unit.name,
                    target=target.name,
                    n=moved,
                ),
                "success",
            )
            return redirect(url_for("admin.unit_edit", unit_id=target.id))
    form = UnitForm(db.session, unit=unit, obj=unit, formdata=None)
    move_form = MoveUnitForm(db.session, unit, formdata=None)
    move_form.parent.data = unit.parent_id or NO_UNIT
    return _unit_page(unit, form, move_form, merge_form)


# --- Audit log ---------------------------------------------------------------------


@bp.route("/audit")
@access(Access.STAFF, Permission.ADMIN_AUDIT)
def audit_log() -> str:
    known = set(db.session.scalars(select(AuditEvent.action).distinct()))
    actions = sorted(
        ((str(a), str(audit.ACTION_LABELS.get(a, a))) for a in known | set(audit.ACTION_LABELS.keys())),
        key=lambda pair: pair[1],
    )
    form = AuditFilterForm(actions, formdata=request.args)
    stmt = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    if form.validate():
        if form.action.data:
            stmt = stmt.where(AuditEvent.action == form.action.data)
        if form.actor.data:
            stmt = stmt.where(func.lower(User.username) == form.actor.data.strip().lower())
        if form.subject.data:
            stmt = stmt.where(AuditEvent.subject == form.subject.data.strip())
        if form.since.data:
            stmt = stmt.where(AuditEvent.at >= local_midnight(form.since.data))
        if form.until.data:
            stmt = stmt.where(AuditEvent.at < local_midnight(form.until.data + dt.timedelta(days=1)))
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    page = paginate(db.session, stmt, page_number(request.args.get("page")), AUDIT_PER_PAGE, rows=True)
    filters = {k: v for k, v in request.args.items() if k not in {"page", "submit"} and v}
    return render_template(
        "admin/audit.html", form=form, page=page, filters=filters, action_labels=audit.ACTION_LABELS
    )
