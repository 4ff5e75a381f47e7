"""Run Alembic from code (CLI and tests): upgrade, downgrade, check."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import current_app
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    return cfg


def schema_state() -> tuple[str | None, str | None]:
    """(the database's current Alembic revision or None if never migrated, the code's head)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from lms.db import db

    head = ScriptDirectory.from_config(alembic_config(current_app.config["SQLALCHEMY_DATABASE_URL"]))
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head.get_current_head()


db_cli = AppGroup("db", help="Database schema (Alembic) commands.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default head)."""
    command.upgrade(alembic_config(current_app.config["SQLALCHEMY_DATABASE_URL"]), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION."""
    command.downgrade(alembic_config(current_app.config["SQLALCHEMY_DATABASE_URL"]), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision(message: str) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    command.revision(
        alembic_config(current_app.config["SQLALCHEMY_DATABASE_URL"]),
        message=message,
        autogenerate=True,
    )


@db_cli.command("check")
def check() -> None:
    """Fail if the models and the migrations disagree."""
    command.check(alembic_config(current_app.config["SQLALCHEMY_DATABASE_URL"]))
    click.echo("models and migrations agree")
