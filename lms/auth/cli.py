"""`flask --app wsgi lms create-admin`."""

from __future__ import annotations

import click

from lms.auth.models import Role, User
from lms.auth.services import MIN_PASSWORD_LENGTH, set_password
from lms.core import audit
from lms.db import db


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", default="")
@click.option("--full-name", default="Quản trị hệ thống")
@click.password_option()
def create_admin(username: str, email: str, full_name: str, password: str) -> None:
    """Create an administrator (or give an existing user the admin role)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
    session = db.session
    user = session.query(User).filter_by(username=username).one_or_none()
    if user is None:
        user = User(username=username, email=email or None, full_name=full_name)
        session.add(user)
    user.set_roles(user.roles | {Role.ADMIN.value, Role.LEARNER.value})
    set_password(user, password)
    session.flush()
    audit.record(session, "admin_created", subject=f"user:{user.id}", ip="cli")
    session.commit()
    click.echo(f"admin {username} ready")
