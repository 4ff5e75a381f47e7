"""Enrolments, lesson progress, completion; dashboard and lesson player."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.learning import views

    app.register_blueprint(views.bp)
