"""Administration: users, roles and scopes, the unit tree, the audit log."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.admin import views
    from lms.core.nav import register_nav
    from lms.core.permissions import Permission

    app.register_blueprint(views.bp)
    register_nav(app, _l("Administration"), "admin.index", Permission.ADMIN_USERS)
