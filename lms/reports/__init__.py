"""HR reports rolled up the unit tree: dashboard, drill-down, person page, SVG charts, exports."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from lms.auth.access import Permission
    from lms.core.nav import register_nav
    from lms.reports import views

    app.register_blueprint(views.bp)

    register_nav(_l("Reports"), "reports.dashboard", Permission.VIEW_REPORTS)
    from lms.jobs import register_label
    from lms.reports.jobs import EXPORT

    register_label(EXPORT, _l("Report export"))
