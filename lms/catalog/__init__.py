"""Courses, modules and lessons; importing courses/ from files; catalogue pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.catalog import cli, views
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.courses_cli)

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    # Lesson images need a session like the lessons they illustrate (not public).
    declare_access(Access.SIGNED_IN, "catalog.index", "catalog.asset")
