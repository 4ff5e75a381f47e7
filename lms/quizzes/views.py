"""Learner quiz pages (intro, take, autosave, submit, result) and trainer statistics."""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.auth.access import Access, Permission, access, can_view_course, managed_courses, manages_course
from lms.auth.models import User
from lms.catalog.models import Course, CourseStatus
from lms.core.csvfile import csv_response
from lms.core.html import plain_text
from lms.core.pagination import page_number, paginate
from lms.db import begin_write, db, reads_first, utcnow, write_on_get
from lms.extensions import limiter
from lms.jobs import enqueue
from lms.learning.models import Enrollment
from lms.quizzes import kinds
from lms.quizzes.attempts import (
    attempts_left,
    best_attempt,
    close_if_overdue,
    entry,
    is_overdue,
    pages,
    save_answer,
    save_page,
    start_attempt,
    stored_responses,
    submit_attempt,
    user_attempts,
)
from lms.quizzes.errors import (
    AttemptClosedError,
    BadAnswerError,
    NoAttemptsLeftError,
    PrerequisitesMissingError,
    QuizClosedError,
    StaleSaveError,
)
from lms.quizzes.jobs import REGRADE
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from lms.quizzes.review import (
    answered_count,
    may_review,
    public_question,
    question_numbers,
    review_items,
    unanswered_numbers,
)
from lms.quizzes.rules import course_quizzes as quizzes_of
from lms.quizzes.rules import lock_reason
from lms.quizzes.stats import attempt_counts, question_stats

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes", template_folder="templates")


def _load_quiz(quiz_id: int) -> Quiz:
    """An active quiz of a course the viewer may see (``can_view_course``), else 404."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not quiz.active or not can_view_course(current_user, quiz.course):
        abort(404)
    return quiz


def _load_attempt(attempt_id: int) -> Attempt:
    """The current user's own attempt (others' attempts are 404, not 403: ids are not disclosed)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _check_manager(course: Course) -> None:
    """Trainer pages of a quiz are for those who manage the course (``manages_course``; others 403)."""
    if not manages_course(current_user, course):
        abort(403)


def _managed_quiz(quiz_id: int) -> Quiz:
    """Load a quiz for its trainer pages: 404 if missing, then 403 unless author or admin."""
    quiz = db.get_or_404(Quiz, quiz_id)
    _check_manager(quiz.course)
    return quiz


@bp.route("/")
@access(Access.SIGNED_IN, Permission.LEARN)
def index() -> str:
    """The quizzes of the courses the learner is enrolled in, with their best result."""
    quizzes = db.session.scalars(
        select(Quiz)
        .join(Course, Course.id == Quiz.course_id)
        .join(Enrollment, (Enrollment.course_id == Course.id) & (Enrollment.user_id == current_user.id))
        .where(Quiz.active.is_(True), Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.title)
    ).all()
    by_course: dict[Course, list[Quiz]] = {}
    for quiz in quizzes:
        by_course.setdefault(quiz.course, [])
    for course in by_course:
        by_course[course] = quizzes_of(db.session, course)
    results = _best_by_quiz([q.id for q in quizzes])
    return render_template("quizzes/index.html", by_course=by_course, results=results)


@bp.route("/course/<int:course_id>")
@access(Access.SIGNED_IN, Permission.LEARN)
def course_quizzes(course_id: int) -> str:
    course = db.session.get(Course, course_id)
    if course is None or not can_view_course(current_user, course):
        abort(404)
    quizzes = quizzes_of(db.session, course)
    results = _best_by_quiz([q.id for q in quizzes])
    return render_template("quizzes/course.html", course=course, quizzes=quizzes, results=results)


def _best_by_quiz(quiz_ids: list[int]) -> dict[int, Attempt]:
    if not quiz_ids:
        return {}
    attempts = db.session.scalars(
        select(Attempt).where(
            Attempt.user_id == current_user.id, Attempt.quiz_id.in_(quiz_ids), Attempt.percent.is_not(None)
        )
    ).all()
    best: dict[int, Attempt] = {}
    for a in attempts:
        if a.quiz_id not in best or (a.percent or 0) > (best[a.quiz_id].percent or 0):
            best[a.quiz_id] = a
    return best


@bp.route("/<int:quiz_id>")
@access(Access.SIGNED_IN, Permission.LEARN)
def intro(quiz_id: int) -> str:
    quiz = _load_quiz(quiz_id)
    attempts = user_attempts(db.session, quiz, current_user)
    for attempt in attempts:
        _close_if_overdue(attempt)
    open_attempt = next((a for a in attempts if a.is_open), None)
    return render_template(
        "quizzes/intro.html",
        quiz=quiz,
        attempts=attempts,
        open_attempt=open_attempt,
        left=attempts_left(quiz, attempts),
        best=best_attempt(attempts),
        question_count=_question_count(quiz),
        now=utcnow(),
        locked=None if open_attempt else lock_reason(db.session, quiz, current_user),
    )


def _question_count(quiz: Quiz) -> int:
    if quiz.pools:
        return sum(p["draw"] for p in quiz.pools)
    return sum(1 for q in quiz.questions if q.active)


@bp.post("/<int:quiz_id>/start")
@access(Access.SIGNED_IN, Permission.LEARN)
def start(quiz_id: int) -> Response:
    quiz = _load_quiz(quiz_id)
    reason = lock_reason(db.session, quiz, current_user)
    if reason and not any(a.is_open for a in user_attempts(db.session, quiz, current_user)):
        flash(reason, "error")
        return redirect(url_for(".intro", quiz_id=quiz.id))
    try:
        attempt = start_attempt(db.session, quiz, current_user)
    except NoAttemptsLeftError:
        flash(_("You have used all your attempts for this quiz."), "error")
        return redirect(url_for(".intro", quiz_id=quiz.id))
    except QuizClosedError:
        flash(_("This quiz is closed."), "error")
        return redirect(url_for(".intro", quiz_id=quiz.id))
    except PrerequisitesMissingError:
        flash(_("Complete the prerequisite courses before taking this quiz."), "error")
        return redirect(url_for(".intro", quiz_id=quiz.id))
    db.session.commit()
    return redirect(url_for(".take", attempt_id=attempt.id))


def _close_if_overdue(attempt: Attempt) -> bool:
    """On a page (GET): close and grade the attempt if its time is up. True if it was closed now.

    The one write a quiz page makes, through ``write_on_get`` (decision 0002), and only when the
    attempt is overdue; ``submit_attempt``'s conditional UPDATE makes a concurrent close harmless.
    """
    if not is_overdue(attempt, utcnow()):
        return False
    with write_on_get(db.session):
        return close_if_overdue(db.session, attempt)


def _closed_redirect(attempt: Attempt) -> Response:
    flash(
        _("This attempt is closed; it has been graded with the answers saved before the deadline."), "warning"
    )
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.route("/attempt/<int:attempt_id>")
@access(Access.OWNER, Permission.LEARN)
def take(attempt_id: int) -> Response | str:
    attempt = _load_attempt(attempt_id)
    if _close_if_overdue(attempt):
        return _closed_redirect(attempt)
    if not attempt.is_open:
        return redirect(url_for(".result", attempt_id=attempt.id))
    return _render_take(attempt, request.args.get("page", 1, type=int))


def _render_take(
    attempt: Attempt, page: int, *, errors: dict[int, str] | None = None, status: int = 200
) -> Any:
    entries = attempt.entries
    paged = pages(attempt)
    page = min(max(page, 1), len(paged))
    responses = stored_responses(db.session, attempt)
    questions = [public_question(e, responses.get(e.question_id)) for e in paged[page - 1]]
    now = utcnow()
    remaining = None
    if attempt.deadline_at is not None:
        remaining = max(0, math.ceil((attempt.deadline_at - now).total_seconds()))
    body = render_template(
        "quizzes/take.html",
        attempt=attempt,
        quiz=attempt.quiz,
        questions=questions,
        numbers=question_numbers(entries),
        page=page,
        page_count=len(paged),
        answered=answered_count(entries, responses),
        total=len(entries),
        remaining=remaining,
        now=now,
        errors=errors or {},
    )
    return body, status


@bp.post("/attempt/<int:attempt_id>/save")
@access(Access.OWNER, Permission.LEARN)
def save(attempt_id: int) -> Any:
    """The no-JS path: save every question of the page, then move (next / previous / finish)."""
    attempt = _load_attempt(attempt_id)
    page = request.form.get("page", 1, type=int)
    paged = pages(attempt)
    page = min(max(page, 1), len(paged))
    responses, errors = kinds.read_page(paged[page - 1], request.form.getlist)
    try:
        save_page(db.session, attempt, responses, request.form.get("base_seq", 0, type=int))
    except AttemptClosedError:
        db.session.commit()
        return _closed_redirect(attempt)
    except StaleSaveError:
        db.session.rollback()
        return render_template("quizzes/stale.html", attempt=attempt, page=page), 409
    db.session.commit()
    if errors:
        messages = {qid: _("Give each item a different position.") for qid in errors}
        return _render_take(attempt, page, errors=messages, status=422)
    action = request.form.get("action", "next")
    if action == "finish":
        return redirect(url_for(".confirm", attempt_id=attempt.id))
    if action == "prev":
        page -= 1
    elif action == "next":
        page += 1
    elif action.startswith("page-"):
        page = int(action[5:]) if action[5:].isdigit() else page
    flash(_("Your answers are saved."), "success")
    return redirect(url_for(".take", attempt_id=attempt.id, page=min(max(page, 1), len(paged))))


@bp.post("/attempt/<int:attempt_id>/autosave")
@reads_first
@access(Access.OWNER, Permission.LEARN)
@limiter.limit("120 per minute", key_func=lambda: f"quiz-autosave:{current_user.get_id()}")
def autosave(attempt_id: int) -> tuple[Response, int]:
    """JS autosave of one question: {"question": id, "seq": n, "base": last acked seq, "fields": {name: [values]}}."""
    attempt = _load_attempt(attempt_id)
    payload = request.get_json(silent=True) or {}
    try:
        question_id = int(payload["question"])
        seq = int(payload["seq"])
        base = int(payload["base"])
        fields = payload.get("fields") or {}
        if not isinstance(fields, dict) or not all(isinstance(v, list) for v in fields.values()):
            raise ValueError("fields")
    except (KeyError, TypeError, ValueError):
        return jsonify(error="bad_request", message=_("The answer could not be read.")), 400
    # SQLite's write lock from here only (decision 1903): the compare-and-set in save_answer
    # re-checks in SQL whatever the reads above saw (decision 0202).
    begin_write(db.session)
    try:
        answered = entry(attempt, question_id)
        response = kinds.get(answered.kind).read(
            answered, lambda name: [str(v) for v in fields.get(name, [])]
        )
    except BadAnswerError:
        if close_if_overdue(db.session, attempt) or not attempt.is_open:
            db.session.commit()
            return _autosave_closed(attempt)
        return jsonify(error="bad_answer", message=_("The answer could not be read.")), 400
    try:
        stored = save_answer(db.session, attempt, question_id, response, seq, base=base)
    except StaleSaveError as exc:
        db.session.rollback()
        return jsonify(
            error="stale",
            last_seq=exc.last_seq,
            message=_("Newer answers were saved from another window or device. Reload the page to see them."),
        ), 409
    except AttemptClosedError:
        db.session.commit()
        return _autosave_closed(attempt)
    db.session.commit()
    return jsonify(ok=True, seq=stored), 200


def _autosave_closed(attempt: Attempt) -> tuple[Response, int]:
    return jsonify(
        error="closed",
        message=_("This attempt is closed."),
        result_url=url_for(".result", attempt_id=attempt.id),
    ), 410


@bp.route("/attempt/<int:attempt_id>/submit")
@access(Access.OWNER, Permission.LEARN)
def confirm(attempt_id: int) -> Any:
    attempt = _load_attempt(attempt_id)
    if _close_if_overdue(attempt):
        return _closed_redirect(attempt)
    if not attempt.is_open:
        return redirect(url_for(".result", attempt_id=attempt.id))
    responses = stored_responses(db.session, attempt)
    unanswered = unanswered_numbers(attempt.entries, responses)
    return render_template(
        "quizzes/confirm.html",
        attempt=attempt,
        quiz=attempt.quiz,
        unanswered=unanswered,
    )


@bp.post("/attempt/<int:attempt_id>/submit")
@access(Access.OWNER, Permission.LEARN)
def submit(attempt_id: int) -> Response:
    attempt = _load_attempt(attempt_id)
    submit_attempt(db.session, attempt)
    db.session.commit()
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.route("/attempt/<int:attempt_id>/result")
@access(Access.OWNER, Permission.LEARN)
def result(attempt_id: int) -> Any:
    attempt = _load_attempt(attempt_id)
    _close_if_overdue(attempt)
    if attempt.is_open:
        return redirect(url_for(".take", attempt_id=attempt.id))
    quiz = attempt.quiz
    attempts = user_attempts(db.session, quiz, current_user)
    reveal = may_review(quiz, attempt, attempts)
    show_marks = quiz.review != "never"
    items = (
        review_items(attempt.entries, stored_responses(db.session, attempt), reveal=reveal)
        if show_marks
        else []
    )
    numbers = question_numbers(attempt.entries)
    return render_template(
        "quizzes/result.html",
        attempt=attempt,
        quiz=quiz,
        attempts=attempts,
        items=items,
        reveal=reveal,
        numbers=numbers,
        left=attempts_left(quiz, attempts),
    )


# --- trainers --------------------------------------------------------------------


@bp.route("/manage")
@access(Access.STAFF, Permission.VIEW_QUESTION_STATS)
def manage() -> str:
    """Quizzes of the courses the trainer authors (every course for admins)."""
    quizzes = db.session.scalars(
        select(Quiz)
        .join(Course, Course.id == Quiz.course_id)
        .where(Quiz.active.is_(True), managed_courses(current_user, Course))
        .order_by(Course.title, Quiz.key)
    ).all()
    counts = {q.id: attempt_counts(db.session, q) for q in quizzes}
    return render_template("quizzes/manage.html", quizzes=quizzes, counts=counts)


@bp.route("/<int:quiz_id>/stats")
@access(Access.STAFF, Permission.VIEW_QUESTION_STATS)
def stats(quiz_id: int) -> str:
    quiz = _managed_quiz(quiz_id)
    return render_template(
        "quizzes/stats.html",
        quiz=quiz,
        stats=question_stats(db.session, quiz),
        counts=attempt_counts(db.session, quiz),
    )


@bp.route("/<int:quiz_id>/attempts")
@access(Access.STAFF, Permission.VIEW_QUESTION_STATS)
def attempts(quiz_id: int) -> str:
    """Every attempt of a quiz, newest first (support: "my answers disappeared")."""
    quiz = _managed_quiz(quiz_id)
    stmt = (
        select(Attempt, User)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.quiz_id == quiz.id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )
    page = paginate(db.session, stmt, page_number(request.args.get("page")), 50, rows=True)
    return render_template("quizzes/attempts.html", quiz=quiz, page=page)


@bp.route("/attempt/<int:attempt_id>/inspect")
@access(Access.STAFF, Permission.VIEW_QUESTION_STATS)
def inspect(attempt_id: int) -> str:
    """A trainer's view of one attempt: each saved answer with its time and sequence number."""
    attempt = db.get_or_404(Attempt, attempt_id)
    _check_manager(attempt.quiz.course)
    answers = {
        a.question_id: a for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    entries = attempt.entries
    items = review_items(entries, {q: a.response for q, a in answers.items()}, reveal=True)
    numbers = question_numbers(entries)
    return render_template(
        "quizzes/inspect.html",
        attempt=attempt,
        quiz=attempt.quiz,
        learner=db.session.get(User, attempt.user_id),
        items=items,
        answers=answers,
        numbers=numbers,
    )


@bp.route("/<int:quiz_id>/stats.csv")
@access(Access.STAFF, Permission.VIEW_QUESTION_STATS)
def stats_csv(quiz_id: int) -> Response:
    quiz = _managed_quiz(quiz_id)
    header = [
        "question_id",
        "kind",
        "prompt",
        "responses",
        "facility",
        "discrimination",
        "choices (* = correct)",
        "pairs / positions right (right/answered)",
    ]
    rows: list[list[Any]] = [header]
    for s in question_stats(db.session, quiz):
        choices = "; ".join(f"{'*' if key else ''}{plain_text(html)}: {n}" for html, n, key in s.choices)
        parts = "; ".join(
            (
                f"{plain_text(p.label_html)} → {plain_text(p.answer_html)}"
                if s.part_kind == "pair"
                else f"{p.position}. {plain_text(p.label_html)}"
            )
            + f": {p.right}/{p.answered}"
            for p in s.parts
        )
        rows.append(
            [
                s.key,
                s.kind,
                plain_text(s.prompt_html).strip(),
                s.responses,
                "" if s.facility is None else f"{s.facility:.3f}",
                "" if s.discrimination is None else f"{s.discrimination:.3f}",
                choices,
                parts,
            ]
        )
    return csv_response(f"quiz-{quiz.course.slug}-{quiz.key}-stats.csv", rows)


@bp.post("/question/<int:question_id>/regrade")
@access(Access.STAFF, Permission.AUTHOR_COURSES)
def regrade(question_id: int) -> Response:
    question = db.get_or_404(Question, question_id)
    _check_manager(db.session.get_one(Course, question.course_id))
    quiz_id = request.form.get("quiz_id", type=int) or question.quiz_id
    job_row = enqueue(
        db.session,
        REGRADE,
        question_id=question.id,
        by_id=current_user.id,
        by=current_user,
        return_to=url_for(".stats", quiz_id=quiz_id),
    )
    db.session.commit()
    current_app.logger.info("question %s queued for regrading by %s", question.key, current_user.id)
    return redirect(url_for("jobs.status", background_job_id=job_row.id))
