"""The `flask --app wsgi lms ...` command group.

Features add their own groups or commands to it in their ``init_app``
(``lms_cli.add_command(...)``); this module imports nothing of theirs.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import text

from lms.db import db

lms_cli = AppGroup("lms", help="Learning site commands.")


@lms_cli.command("check-db")
def check_db() -> None:
    """Print whether the database answers."""
    db.session.execute(text("SELECT 1"))
    click.echo("ok")
