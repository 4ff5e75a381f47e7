"""Accounts, roles, login/logout, passwords, admin user management."""

from flask import Flask


def init_app(app: Flask) -> None:
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from lms.auth import access, views
    from lms.auth.models import User
    from lms.db import db
    from lms.extensions import login_manager

    # Roles in the same statement (role_rows is selectin: a second statement on every page). Built
    # once: constructing it and its cache key per request cost more than running it (decision 1906).
    user_with_roles = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("user_id"))

    @login_manager.user_loader
    def load_user(ident: str) -> User | None:
        try:
            user_id, version = (int(x) for x in ident.split(":", 1))
        except ValueError:
            return None
        user = db.session.execute(user_with_roles, {"user_id": user_id}).unique().scalar_one_or_none()
        if user is None or not user.is_active or user.session_version != version:
            return None
        return user

    app.register_blueprint(views.bp)
    access.init_app(app)

    from lms.auth import cli
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.create_admin)
