"""Admin pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from lms.core.permissions import Permission, require

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/")
@require(Permission.ADMIN_USERS)
def index() -> str:
    return render_template("admin/index.html")
