"""Accounts, roles, login/logout, passwords, admin user management."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.auth import views
    from lms.auth.models import User
    from lms.db import db
    from lms.extensions import login_manager

    @login_manager.user_loader
    def load_user(ident: str) -> User | None:
        try:
            user_id, version = (int(x) for x in ident.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(User, user_id)
        if user is None or not user.is_active or user.session_version != version:
            return None
        return user

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    declare_access(Access.PUBLIC, "auth.login", reason="the sign-in form")
    declare_access(
        Access.PUBLIC, "auth.set_language", reason="language switch on the login page; stores lang only"
    )
    declare_access(
        Access.PUBLIC, "auth.reset_password", reason="one-time link handed to a user who cannot sign in"
    )
    declare_access(Access.SIGNED_IN, "auth.logout", "auth.account")
    from lms.auth import cli
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.create_admin)
