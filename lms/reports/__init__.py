"""HR reports rolled up the unit tree: dashboard, drill-down, person page, SVG charts, exports."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from lms.core.nav import register_nav
    from lms.core.permissions import Permission
    from lms.reports import views

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    declare_access(
        Access.STAFF,
        "reports.dashboard",
        "reports.unit_report",
        "reports.unit_people",
        "reports.person",
        "reports.export",
    )
    register_nav(_l("Reports"), "reports.dashboard", Permission.VIEW_REPORTS)
