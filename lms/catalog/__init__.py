"""Courses, modules and lessons; importing courses/ from files; catalogue pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.catalog import views

    app.register_blueprint(views.bp)
