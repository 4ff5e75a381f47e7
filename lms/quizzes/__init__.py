"""Quizzes per module and a final exam per course: attempts, autosave, grading, statistics."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from lms.auth.access import Permission
    from lms.catalog.parts import register_part
    from lms.core.cli import lms_cli
    from lms.core.nav import register_nav
    from lms.learning.completion import NEXT_STEPS, register_module_check, register_requirement
    from lms.quizzes import attempts, cli, rules, views
    from lms.quizzes.part import QuizzesPart

    app.config.setdefault("QUIZ_GRACE_SECONDS", attempts.DEFAULT_GRACE_SECONDS)
    app.register_blueprint(views.bp)

    register_part(QuizzesPart())
    register_requirement(rules.quiz_requirements, many=rules.quiz_requirements_many)
    register_module_check(rules.module_quiz_check)
    NEXT_STEPS.add(rules.next_step)
    register_nav(_l("Quizzes"), "quizzes.index", Permission.LEARN)
    register_nav(_l("Quiz statistics"), "quizzes.manage", Permission.VIEW_QUESTION_STATS)
    lms_cli.add_command(cli.quizzes_cli)
    from lms.jobs import register_label
    from lms.quizzes import jobs

    register_label(jobs.REGRADE, _l("Regrade a question"))
    register_label(jobs.CLOSE_OVERDUE, _l("Close overdue attempts"))

    @app.context_processor
    def _quiz_links() -> dict[str, object]:
        """`course_quiz_links(course)` for course pages (module key -> quiz link, final exam)."""
        from flask_login import current_user

        from lms.db import db

        return {"course_quiz_links": lambda course: rules.course_quiz_links(db.session, course, current_user)}

    from lms.core.audit import register_action
    from lms.quizzes.kinds import KINDS

    def kind_label(name: str) -> str:
        """A question kind's name for people (statistics pages show no raw kind ids)."""
        kind = KINDS.get(name)
        return str(kind.label) if kind is not None else name

    app.jinja_env.globals["kind_label"] = kind_label

    register_action("quiz.regrade", _l("Quiz question regraded"))
