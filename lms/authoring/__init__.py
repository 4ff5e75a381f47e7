"""Trainers' editor: courses, lessons, images, drafts, preview, publish, history."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.authoring import views
    from lms.core.nav import register_nav
    from lms.core.permissions import Permission

    app.register_blueprint(views.bp)
    register_nav(_l("Course authoring"), "authoring.index", Permission.AUTHOR_COURSES)
    _declare_access()
    _connect_signals()


def _declare_access() -> None:
    from lms.core.access import Access, declare_access

    declare_access(
        Access.STAFF,
        *(
            f"authoring.{name}"
            for name in [
                "index",
                "new_course",
                "upload",
                "edit_course",
                "start_draft",
                "discard",
                "publish",
                "history",
                "restore",
                "download",
                "download_draft",
                "add_author",
                "remove_author",
                "add_module",
                "edit_module",
                "delete_module",
                "move_module",
                "add_lesson",
                "edit_lesson",
                "delete_lesson",
                "move_lesson",
                "preview",
                "preview_markdown",
                "quizzes",
                "add_quiz",
                "edit_quiz",
                "delete_quiz",
                "try_quiz",
                "new_question",
                "edit_question",
                "delete_question",
                "move_question",
            ]
        ),
    )
    # Published courses' images for any signed-in user (like catalog.asset); a draft's only to its authors.
    declare_access(Access.SIGNED_IN, "authoring.asset")


def _connect_signals() -> None:
    from lms.authoring import services
    from lms.catalog.parts import course_changed

    course_changed.connect(services.snapshot_after_import)
