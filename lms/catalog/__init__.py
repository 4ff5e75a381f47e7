"""Courses, modules and lessons; importing courses/ from files; catalogue pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.catalog import cli, views
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.courses_cli)

    app.register_blueprint(views.bp)
