"""Learner pages: dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.db import db
from lms.learning.models import Enrollment

bp = Blueprint("learning", __name__, template_folder="templates")


@bp.route("/")
@login_required
def dashboard() -> str:
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == current_user.id).options(joinedload(Enrollment.course))
    ).all()
    return render_template("learning/dashboard.html", enrollments=enrollments)
