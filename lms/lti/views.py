"""LTI admin pages (registrations, keys, identities) and the tool's public JWKS.

Every admin view: load-or-404 → permission (403, by ``@access``) → validate → service → commit → redirect.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from lms.auth.access import Access, Permission, access, can, manages_course
from lms.auth.models import User
from lms.db import db, utcnow, write_on_get
from lms.lti import ags, keys, services
from lms.lti.forms import LinkIdentityForm, PlatformForm
from lms.lti.models import Identity, Link, Platform, ToolKey

bp = Blueprint("lti", __name__, template_folder="templates")


def key_grace() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config.get("LTI_KEY_GRACE_HOURS", 72))


def tool_urls() -> dict[str, str]:
    """What a platform's admin types in when registering the tool by hand."""
    return {
        "login": url_for("lti.login", _external=True),
        "launch": url_for("lti.launch", _external=True),
        "jwks": url_for("lti.jwks", _external=True),
        "deep_link": url_for("lti.launch", _external=True),
    }


@bp.route("/lti/jwks.json")
@access(Access.PUBLIC, reason="platforms fetch the tool's public keys to check its signed messages")
def jwks() -> Response:
    response = jsonify(keys.published_jwks(db.session, key_grace()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/admin/lti/")
@access(Access.STAFF, Permission.ADMIN_LTI)
def index() -> str:
    platforms = db.session.scalars(select(Platform).order_by(Platform.name)).all()
    tool_keys = db.session.scalars(select(ToolKey).order_by(ToolKey.id.desc())).all()
    links = db.session.scalars(select(Link).order_by(Link.updated_at.desc()).limit(50)).all()
    identities = db.session.scalars(
        select(Identity).order_by(Identity.last_launch_at.desc().nulls_last(), Identity.id.desc()).limit(50)
    ).all()
    return render_template(
        "lti/index.html",
        platforms=platforms,
        links=links,
        tool_keys=tool_keys,
        identities=identities,
        urls=tool_urls(),
        grace_limit=utcnow() - key_grace(),
        identity_count=db.session.scalar(select(func.count(Identity.id))),
        link_form=LinkIdentityForm(),
    )


@bp.route("/admin/lti/platforms/new", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_LTI)
def platform_new() -> str | Response:
    form = PlatformForm(db.session)
    if form.validate_on_submit():
        platform = services.save_platform(db.session, form.to_data(), by=current_user)
        db.session.commit()
        flash(_("Platform %(name)s registered.", name=platform.name), "success")
        return redirect(url_for("lti.index"))
    return render_template("lti/platform_form.html", form=form, platform=None, urls=tool_urls())


@bp.route("/admin/lti/platforms/<int:platform_id>", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_LTI)
def platform_edit(platform_id: int) -> str | Response:
    platform = db.session.get(Platform, platform_id) or abort(404)
    form = PlatformForm(db.session, obj=platform, platform=platform)
    if form.validate_on_submit():
        services.save_platform(db.session, form.to_data(), by=current_user, platform=platform)
        db.session.commit()
        flash(_("Platform %(name)s saved.", name=platform.name), "success")
        return redirect(url_for("lti.index"))
    return render_template("lti/platform_form.html", form=form, platform=platform, urls=tool_urls())


@bp.route("/admin/lti/identities/<int:identity_id>/link", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_LTI)
def identity_link(identity_id: int) -> Response:
    identity = db.session.get(Identity, identity_id) or abort(404)
    form = LinkIdentityForm()
    if not form.validate_on_submit():
        flash(_("Enter the username of the local account."), "error")
        return redirect(url_for("lti.index"))
    user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
    if user is None or not user.is_active:
        flash(_("No active account has the username %(u)s.", u=form.username.data.strip()), "error")
        return redirect(url_for("lti.index"))
    services.link_identity(db.session, identity, user, by=current_user)
    db.session.commit()
    flash(
        _(
            "%(sub)s of %(iss)s now signs in as %(u)s.",
            sub=identity.sub,
            iss=identity.issuer,
            u=user.username,
        ),
        "success",
    )
    return redirect(url_for("lti.index"))


def _link_for_staff(link_id: int) -> Link:
    """Load-or-404, then admins or the trainers who manage the link's course (403 otherwise)."""
    link = db.session.get(Link, link_id) or abort(404)
    if not (
        can(current_user, Permission.ADMIN_LTI)
        or (link.course is not None and manages_course(current_user, link.course))
    ):
        abort(403)
    return link


@bp.route("/lti/links/<int:link_id>/members")
@access(Access.STAFF)
def members(link_id: int) -> str | Response:
    link = _link_for_staff(link_id)
    if db.session.scalar(select(func.count(ToolKey.id))) == 0:
        with write_on_get(db.session):
            keys.signing_key(db.session)
    problem = None
    roster: list[ags.Member] = []
    try:
        roster = ags.roster(db.session, link)
    except ags.ServiceError as exc:
        current_app.logger.warning("NRPS for link %s failed: %s", link.id, exc)
        problem = _(
            "The platform did not give the member list (it did not answer or refused): try again later."
        )
    known = set(
        db.session.scalars(
            select(Identity.sub).where(
                Identity.issuer == link.platform.issuer, Identity.sub.in_([m.user_id for m in roster])
            )
        )
    )
    # A platform that is down is explained on the page (an alert), which itself works: 200.
    return render_template("lti/members.html", link=link, roster=roster, known=known, problem=problem)


@bp.route("/lti/links/<int:link_id>/members/enrol", methods=["POST"])
@access(Access.STAFF)
def members_enrol(link_id: int) -> Response:
    link = _link_for_staff(link_id)
    if link.course is None:
        flash(_("This link opens no course of this site."), "error")
        return redirect(url_for("lti.members", link_id=link.id))
    try:
        roster = ags.roster(db.session, link)
    except ags.ServiceError as exc:
        current_app.logger.warning("NRPS for link %s failed: %s", link.id, exc)
        flash(
            _("The platform did not give the member list (it did not answer or refused): try again later."),
            "error",
        )
        return redirect(url_for("lti.members", link_id=link.id))
    count = services.enrol_roster(db.session, link, roster, by=current_user)
    db.session.commit()
    flash(
        _(
            "%(n)s learners of the platform course are enrolled in %(course)s.",
            n=count,
            course=link.course.title,
        ),
        "success",
    )
    return redirect(url_for("lti.members", link_id=link.id))


@bp.route("/admin/lti/registration-url", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_LTI)
def registration_url() -> str:
    from lms.lti import registration

    token = registration.create_token(db.session, by=current_user)
    db.session.commit()
    # Shown on this response only: the token is stored hashed.
    return render_template(
        "lti/registration_url.html",
        url=url_for("lti.register", token=token, _external=True),
        days=registration.TOKEN_LIFETIME.days,
    )
