"""Enrolments, lesson progress, completion; dashboard and lesson player."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.learning import views

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    declare_access(
        Access.SIGNED_IN,
        "learning.dashboard",
        "learning.course",
        "learning.enrol",
        "learning.resume",
        "learning.lesson",
        "learning.complete",
    )
