"""Courses, modules and lessons; importing courses/ from files; catalogue pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    import lms.catalog.cli  # noqa: F401  (adds `lms courses ...`)
    from lms.catalog import views

    app.register_blueprint(views.bp)
