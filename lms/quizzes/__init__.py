"""Quizzes per module and a final exam per course: attempts, autosave, grading, statistics."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from lms.catalog.parts import register_part
    from lms.core.cli import lms_cli
    from lms.core.nav import register_nav
    from lms.core.permissions import Permission
    from lms.learning.completion import NEXT_STEPS, register_module_check, register_requirement
    from lms.quizzes import cli, services, views
    from lms.quizzes.part import QuizzesPart

    app.config.setdefault("QUIZ_GRACE_SECONDS", services.DEFAULT_GRACE_SECONDS)
    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    declare_access(
        Access.SIGNED_IN, "quizzes.index", "quizzes.course_quizzes", "quizzes.intro", "quizzes.start"
    )
    declare_access(
        Access.OWNER,
        "quizzes.take",
        "quizzes.save",
        "quizzes.autosave",
        "quizzes.confirm",
        "quizzes.submit",
        "quizzes.result",
    )
    declare_access(
        Access.STAFF,
        "quizzes.manage",
        "quizzes.stats",
        "quizzes.stats_csv",
        "quizzes.attempts",
        "quizzes.inspect",
        "quizzes.regrade",
    )
    register_part(QuizzesPart())
    register_requirement(services.quiz_requirements)
    register_module_check(services.module_quiz_check)
    NEXT_STEPS.add(services.next_step)
    register_nav(_l("Quizzes"), "quizzes.index", Permission.LEARN)
    register_nav(_l("Quiz statistics"), "quizzes.manage", Permission.VIEW_QUESTION_STATS)
    lms_cli.add_command(cli.quizzes_cli)

    @app.context_processor
    def _quiz_links() -> dict[str, object]:
        """`course_quiz_links(course)` for course pages (module key -> quiz link, final exam)."""
        from flask_login import current_user

        from lms.db import db

        return {
            "course_quiz_links": lambda course: services.course_quiz_links(db.session, course, current_user)
        }
