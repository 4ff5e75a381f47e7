"""Catalogue pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from lms.catalog.models import Course, CourseStatus
from lms.db import db

bp = Blueprint("catalog", __name__, url_prefix="/courses", template_folder="templates")


@bp.route("/")
@login_required
def index() -> str:
    courses = db.session.scalars(
        select(Course).where(Course.status == CourseStatus.PUBLISHED).order_by(Course.title)
    ).all()
    return render_template("catalog/index.html", courses=courses)
