"""Administration: users, roles and HR scopes, the unit tree, the audit log."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.admin import views
    from lms.auth.access import Permission
    from lms.core.nav import register_nav

    app.register_blueprint(views.bp)
    from lms.core.audit import describe_details

    app.jinja_env.filters["audit_details"] = describe_details

    register_nav(_l("Users"), "admin.users", Permission.ADMIN_USERS)
    register_nav(_l("Unit tree"), "admin.units", Permission.ADMIN_UNITS)
    register_nav(_l("Audit log"), "admin.audit_log", Permission.ADMIN_AUDIT)
