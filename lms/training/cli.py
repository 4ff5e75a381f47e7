"""`flask --app wsgi lms people import FILE`: the same checks as the web import, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import Role, User, UserRole
from lms.db import db
from lms.training import importer
from lms.training.models import ImportIssue, ImportKind, ImportStatus

people_cli = AppGroup("people", help="People and unit import.")


@people_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--units", "kind", flag_value=ImportKind.UNITS.value, help="The file lists units, not people.")
@click.option("--people", "kind", flag_value=ImportKind.PEOPLE.value, default=True, hidden=True)
@click.option(
    "--deactivate-missing", is_flag=True, help="Deactivate people of the scope missing from the file."
)
@click.option(
    "--by", "by_username", default=None, help="Account recorded as the importer (default: first admin)."
)
@click.option("--dry-run", is_flag=True, help="Only check the file.")
def import_people(
    file: Path, kind: str, deactivate_missing: bool, by_username: str | None, dry_run: bool
) -> None:
    """Check every row of FILE (CSV or XLSX), print problems, then import it all or nothing."""
    session = db.session
    if by_username:
        actor = session.scalars(select(User).where(User.username == by_username)).first()
    else:
        actor = session.scalars(
            select(User).join(UserRole).where(UserRole.role == Role.ADMIN.value).order_by(User.id)
        ).first()
    if actor is None:
        raise click.ClickException("no importing account (create an admin or pass --by)")
    from lms.auth.access import scope_unit

    with file.open("rb") as f:
        try:
            job = importer.start_import(
                session,
                kind=kind or ImportKind.PEOPLE.value,
                filename=file.name,
                upload=f,
                directory=Path(current_app.instance_path) / "imports",
                by=actor,
                scope=scope_unit(actor),
                deactivate_missing=deactivate_missing,
            )
        except importer.UploadNotSavedError as exc:
            session.rollback()
            raise click.ClickException(f"the file could not be stored under instance/imports: {exc}") from exc
    session.commit()
    click.echo(_("%(n)d rows, encoding %(enc)s", n=job.total_rows, enc=job.encoding or "?"))
    with click.progressbar(length=job.total_rows, label=_("Checking")) as bar:
        while job.status == ImportStatus.VALIDATING:
            before = job.processed_rows
            importer.validate_step(session, job)
            session.commit()
            bar.update(job.processed_rows - before)
    if job.status == ImportStatus.INVALID:
        issues = session.scalars(
            select(ImportIssue).where(ImportIssue.job_id == job.id).order_by(ImportIssue.row_no).limit(200)
        ).all()
        # Messages are translated like the web preview (the default locale, Vietnamese).
        with current_app.test_request_context():
            for issue in issues:
                column = importer.column_label(issue.column) if issue.column else "-"
                click.echo(
                    "  "
                    + _(
                        "row %(n)d, %(column)s: %(message)s",
                        n=issue.row_no,
                        column=column,
                        message=importer.issue_message(issue),
                    )
                )
        raise click.ClickException(_("%(n)d problems; nothing was imported", n=job.error_count))
    if dry_run:
        click.echo(_("The file is valid (dry run: nothing written)."))
        return
    with click.progressbar(length=job.total_rows, label=_("Importing")) as bar:
        summary = importer.commit_import(session, job, by=actor, progress=bar.update)
    session.commit()
    click.echo(
        _(
            "created %(created)d, updated %(updated)d, deactivated %(deactivated)d",
            created=summary["created"],
            updated=summary["updated"],
            deactivated=summary["deactivated"],
        )
    )
