"""Trainers' editor: courses, lessons, images, drafts, preview, publish, history."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.auth.access import Permission
    from lms.authoring import views
    from lms.core.nav import register_nav

    app.register_blueprint(views.bp)
    register_nav(_l("Course authoring"), "authoring.index", Permission.AUTHOR_COURSES)
    _connect_signals()
    from lms.core.audit import register_action

    register_action("authoring.author_added", _l("Course author added"))
    register_action("authoring.author_removed", _l("Course author removed"))
    register_action("authoring.course_created", _l("Course created in the editor"))
    register_action("authoring.image_uploaded", _l("Lesson image uploaded"))
    register_action("authoring.published", _l("Course published"))
    register_action("authoring.restored", _l("Course version restored as a draft"))


def _connect_signals() -> None:
    from lms.authoring import services
    from lms.catalog.parts import course_changed

    course_changed.connect(services.snapshot_after_import)
