"""Courses, modules and lessons; importing courses/ from files; catalogue pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.catalog import cli, views
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.courses_cli)

    app.register_blueprint(views.bp)
    from lms.catalog.changes import describe_changes, version_source

    app.jinja_env.filters["version_changes"] = describe_changes
    app.jinja_env.filters["version_source"] = version_source
