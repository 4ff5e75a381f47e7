"""The `flask --app wsgi lms ...` command group.

Features add their own groups or commands to it in their ``init_app``
(``lms_cli.add_command(...)``); this module imports nothing of theirs.
"""

from __future__ import annotations

from typing import Any

import click
from flask import has_app_context
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.db import db

UPGRADE_HINT = "flask --app wsgi lms db upgrade"


class _LmsGroup(AppGroup):
    """The `lms` command group: a command run on an unmigrated database says how to migrate it.

    Instead of an SQL traceback ("no such table", "relation ... does not exist"),
    any `lms ...` command that fails with a database error while the schema is
    missing or behind the code's migrations prints one line naming the command to
    run, and exits with status 1 (issue 14, item 8).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            if has_app_context():  # `flask` keeps one app context for the whole run
                db.session.rollback()  # end the failed transaction (SQLite: release its lock)
                hint = _schema_hint()
            else:
                with ctx.ensure_object(ScriptInfo).load_app().app_context():
                    hint = _schema_hint()
            if hint is None:
                raise
            raise click.ClickException(hint) from exc


def _schema_hint() -> str | None:
    """A message if the database was never migrated or is behind the migrations, else None."""
    from lms.core.migrate import schema_state

    try:
        current, head = schema_state()
    except SQLAlchemyError:  # the database itself does not answer: let that error through
        return None
    if current is None:
        return f"The database has no tables yet (it was never migrated). Run `{UPGRADE_HINT}` first."
    if current != head:
        return (
            f"The database is at migration {current} but this code needs {head}. Run `{UPGRADE_HINT}` first."
        )
    return None


lms_cli = _LmsGroup("lms", help="Learning site commands.")


@lms_cli.command("check-db")
def check_db() -> None:
    """Print whether the database answers."""
    db.session.execute(text("SELECT 1"))
    click.echo("ok")
