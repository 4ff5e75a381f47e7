"""Administration: users, roles and HR scopes, the unit tree, the audit log."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.admin import views
    from lms.core.nav import register_nav
    from lms.core.permissions import Permission

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    declare_access(
        Access.STAFF,
        "admin.index",
        "admin.users",
        "admin.user_new",
        "admin.user_edit",
        "admin.user_deactivate",
        "admin.user_reactivate",
        "admin.user_reset_link",
        "admin.units",
        "admin.unit_new",
        "admin.unit_edit",
        "admin.unit_move",
        "admin.unit_merge",
        "admin.audit_log",
    )
    register_nav(_l("Users"), "admin.users", Permission.ADMIN_USERS)
    register_nav(_l("Unit tree"), "admin.units", Permission.ADMIN_UNITS)
    register_nav(_l("Audit log"), "admin.audit_log", Permission.ADMIN_AUDIT)
