"""Admin pages for API tokens: create (shown once), list with last use, revoke (decision 1711)."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from lms.api import services
from lms.api.forms import SCOPE_LABELS, TokenForm
from lms.api.models import ApiToken
from lms.api.views import bp
from lms.auth.access import Access, Permission, access
from lms.db import db, utcnow


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_API)
def tokens() -> str | Response:
    form = TokenForm(db.session, today=utcnow().date())
    if form.validate_on_submit() and form.unit is not None:
        expires = dt.datetime.combine(form.expires_on.data, dt.time(23, 59, 59), tzinfo=dt.UTC)
        row, token = services.create_token(
            db.session,
            name=form.name.data.strip(),
            scopes=form.scopes.data,
            unit=form.unit,
            expires_at=expires,
            by=current_user,
        )
        db.session.commit()
        # Shown once, on this response only: never stored, never in a redirect or the session.
        return render_template("api/token_created.html", token=token, row=row)
    rows = db.session.scalars(
        select(ApiToken)
        .options(joinedload(ApiToken.unit))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    ).all()
    return render_template("api/tokens.html", form=form, tokens=rows, now=utcnow(), labels=SCOPE_LABELS)


@bp.route("/admin/api-tokens/<int:token_id>/revoke", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_API)
def revoke(token_id: int) -> Response:
    row = db.get_or_404(ApiToken, token_id)
    services.revoke_token(db.session, row, by=current_user)
    db.session.commit()
    flash(_("Token %(name)s revoked: it no longer works.", name=row.name), "success")
    return redirect(url_for("api.tokens"))
