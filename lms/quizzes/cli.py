"""`flask --app wsgi lms quizzes close-overdue | regrade`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.auth.models import User
from lms.catalog.models import Course
from lms.db import db
from lms.quizzes.attempts import close_overdue as close_overdue_attempts
from lms.quizzes.attempts import regrade_question
from lms.quizzes.models import Question, Quiz

quizzes_cli = AppGroup("quizzes", help="Quiz attempts and grading.")


@quizzes_cli.command("close-overdue")
def close_overdue() -> None:
    """Close and grade every attempt past its deadline (plus grace)."""
    closed = close_overdue_attempts(db.session)
    db.session.commit()
    click.echo(f"closed {closed} overdue attempts")


@quizzes_cli.command("regrade")
@click.option("--course", "course_slug", required=True, help="Course slug.")
@click.option(
    "--question", "question_keys", multiple=True, help="Question id (repeatable); default all of --quiz."
)
@click.option("--quiz", "quiz_key", default=None, help="Quiz key (module folder or 'final').")
@click.option("--by", "username", default=None, help="Username recorded in the audit log.")
def regrade(
    course_slug: str, question_keys: tuple[str, ...], quiz_key: str | None, username: str | None
) -> None:
    """Regrade submitted attempts after a question's answer key was corrected."""
    session = db.session
    course = session.scalars(select(Course).where(Course.slug == course_slug)).first()
    if course is None:
        raise click.ClickException(f"no course {course_slug!r}")
    stmt = select(Question).where(Question.course_id == course.id)
    if question_keys:
        stmt = stmt.where(Question.key.in_(question_keys))
    elif quiz_key:
        quiz = session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == quiz_key)).first()
        if quiz is None:
            raise click.ClickException(f"no quiz {quiz_key!r} in {course_slug}")
        drawn = {e.question_id for a in session.scalars(quiz.attempts.select()) for e in a.entries}
        stmt = stmt.where(Question.id.in_(drawn | {q.id for q in quiz.questions}))
    else:
        raise click.UsageError("give --question or --quiz")
    by = session.scalars(select(User).where(User.username == username)).first() if username else None
    questions = session.scalars(stmt.order_by(Question.key)).all()
    if not questions:
        raise click.ClickException("no matching questions")
    for question in questions:
        n = regrade_question(session, question, by=by)
        click.echo(f"{question.key}: {n} attempts regraded")
    session.commit()
