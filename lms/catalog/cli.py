"""`flask --app wsgi lms courses import PATH… [--dry-run]` and `lms courses export SLUG DIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from lms.catalog.exporter import export_course
from lms.catalog.importer import (
    CourseChange,
    find_course_dirs,
    import_course,
    order_by_prerequisites,
    parse_course,
    plan_course,
)
from lms.catalog.models import Course
from lms.catalog.parts import ImportErrors
from lms.db import db


@click.group("courses", cls=AppGroup)
def courses_cli() -> None:
    """Import and export course folders (see courses/README.md)."""


@courses_cli.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Validate and print what would change; write nothing.")
@click.option(
    "--lang", type=click.Choice(["en", "vi"]), default="en", show_default=True, help="Language of messages."
)
def import_cmd(paths: tuple[Path, ...], dry_run: bool, lang: str) -> None:
    """Import every course folder in PATHS (folders starting with _ are skipped unless named)."""
    with force_locale(lang):
        failed = run_import(list(paths), dry_run=dry_run, echo=click.echo, translate=lang != "en")
    if failed:
        raise SystemExit(1)


def run_import(paths: list[Path], *, dry_run: bool, echo=print, translate: bool = False) -> int:
    """Import (or plan) the courses under paths; one transaction per course. Returns failures."""
    dirs = find_course_dirs(paths)
    if not dirs:
        echo("no course folders found (a course folder holds course.yaml)")
        return 1
    failed = 0
    parsed = []
    for course_dir in dirs:
        errors = ImportErrors()
        course = parse_course(course_dir, errors)
        if errors:
            failed += 1
            _print_errors(course_dir.name, errors, echo, translate)
        elif course is not None:
            parsed.append(course)
    errors = ImportErrors()
    ordered = order_by_prerequisites(parsed, errors)
    if errors:
        failed += len(parsed) - len(ordered)
        _print_errors("prerequisites", errors, echo, translate)
    for course in ordered:
        errors = ImportErrors()
        try:
            if dry_run:
                change = plan_course(db.session, course, errors)
                if change is not None and change.action != "unchanged":
                    # Write it inside a transaction we roll back, so later courses
                    # in this dry run can see it (prerequisites) and parts run.
                    import_course(db.session, course, errors)
            else:
                change = import_course(db.session, course, errors)
        except Exception:
            db.session.rollback()
            raise
        if errors or change is None:
            db.session.rollback()
            failed += 1
            _print_errors(course.slug, errors, echo, translate)
            continue
        if not dry_run:
            db.session.commit()
        _print_change(change, echo, dry_run)
    if dry_run:
        db.session.rollback()
        echo("dry run: nothing was written")
    return failed


def _print_errors(name: str, errors: ImportErrors, echo, translate: bool) -> None:
    echo(f"ERROR {name}: not imported ({len(errors.problems)} problems)")
    for problem in errors.problems:
        echo("  " + problem.render(translate))


def _print_change(change: CourseChange, echo, dry_run: bool) -> None:
    verb = {"new": "would add" if dry_run else "added", "changed": "would update" if dry_run else "updated"}
    if change.action == "unchanged":
        echo(
            f"unchanged {change.slug} v{change.new_version}"
            + (f" ({change.summary()})" if change.notes else "")
        )
        return
    old = f"v{change.old_version} → " if change.old_version else ""
    echo(f"{verb[change.action]} {change.slug} {old}v{change.new_version}")
    for note in change.notes:
        echo(f"  - {note}")
    for warning in change.warnings:
        echo(f"  ! {warning}")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def export_cmd(slug: str, target: Path) -> None:
    """Write course SLUG as a folder TARGET/SLUG (re-importable)."""
    course = db.session.scalars(select(Course).where(Course.slug == slug)).first()
    if course is None:
        raise click.ClickException(f"no course {slug!r}")
    path = export_course(db.session, course, target)
    click.echo(f"exported {slug} v{course.version} to {path}")
