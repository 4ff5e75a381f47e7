"""Enrolments, lesson progress, completion; dashboard and lesson player."""

from flask import Flask


def init_app(app: Flask) -> None:
    from lms.auth.access import register_enrolment_check
    from lms.catalog.parts import course_changed, register_progress_provider
    from lms.learning import services, views

    app.register_blueprint(views.bp)
    course_changed.connect(services.on_course_changed)
    register_progress_provider(services.enrollments_by_course)
    register_enrolment_check(services.is_enrolled)
