"""Quiz work off the request path: regrading after a key correction, closing overdue attempts."""

from __future__ import annotations

from typing import Any

from lms.auth.models import User
from lms.jobs import job, periodic
from lms.quizzes.models import Question

REGRADE = "quizzes.regrade"
CLOSE_OVERDUE = "quizzes.close_overdue"


@job(REGRADE, max_attempts=3)
def regrade_job(ctx: Any, *, question_id: int, by_id: int | None = None) -> dict[str, Any]:
    """Re-grade every submitted attempt of a question (idempotent: same key, same scores)."""
    from lms.quizzes.attempts import regrade_question

    question = ctx.session.get(Question, question_id)
    if question is None:
        return {"attempts": 0}
    by = ctx.session.get(User, by_id) if by_id else None
    return {"attempts": regrade_question(ctx.session, question, by=by)}


@job(CLOSE_OVERDUE, max_attempts=3)
def close_overdue_job(ctx: Any) -> dict[str, Any]:
    """Close and grade attempts past their deadline + grace (completion and certificates follow)."""
    from lms.quizzes.attempts import close_overdue

    return {"closed": close_overdue(ctx.session)}


periodic(CLOSE_OVERDUE, minute="*/5")  # replaces the cron line `lms quizzes close-overdue`
