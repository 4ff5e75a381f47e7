"""Accounts, roles, login/logout, passwords, admin user management."""

from flask import Flask


def init_app(app: Flask) -> None:
    from sqlalchemy.orm import joinedload

    from lms.auth import access, views
    from lms.auth.models import User
    from lms.db import db
    from lms.extensions import login_manager

    @login_manager.user_loader
    def load_user(ident: str) -> User | None:
        try:
            user_id, version = (int(x) for x in ident.split(":", 1))
        except ValueError:
            return None
        # Roles in the same statement (role_rows is selectin: a second statement on every page).
        user = db.session.get(User, user_id, options=[joinedload(User.role_rows)])
        if user is None or not user.is_active or user.session_version != version:
            return None
        return user

    app.register_blueprint(views.bp)
    access.init_app(app)

    from lms.auth import cli
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.create_admin)
