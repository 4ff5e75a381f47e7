"""Attempt lifecycle with a frozen clock: start, autosave, stale saves, deadline + grace, submit, completion."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lms.core.models import AuditEvent
from lms.learning.completion import enrollment_completed
from lms.learning.models import Enrollment
from lms.quizzes import attempts, errors, kinds, models, review, rules
from lms.quizzes.models import Answer, Attempt
from tests.quizzes.conftest import answer_fields, save_fields

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def test_start_stores_drawn_questions_order_and_deadline(session, m1, start):
    attempt = start(m1, now=T0)
    assert attempt.number == 1
    assert attempt.deadline_at == T0 + dt.timedelta(minutes=15)
    assert sorted(e.key for e in attempt.entries) == sorted(q.key for q in m1.questions)
    for entry in attempt.entries:
        if entry.kind in ("matching", "ordering"):
            assert entry.order != sorted(entry.order)  # never shown in the answer order
    assert attempt.max_score == 7  # multiple is worth 2
    assert start(m1, now=T0 + dt.timedelta(minutes=1)).id == attempt.id  # resumed, not restarted


def test_enrols_the_learner(session, m1, start, learner, course):
    start(m1, now=T0)
    assert (
        session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one().course_id
        == course.id
    )


def test_max_attempts(session, m1, start):
    for n in range(3):
        attempt = start(m1, now=T0 + dt.timedelta(hours=n))
        attempts.submit_attempt(session, attempt, now=T0 + dt.timedelta(hours=n, minutes=5))
    with pytest.raises(errors.NoAttemptsLeftError):
        start(m1, now=T0 + dt.timedelta(hours=5))


def test_final_exam_draws_from_pools_without_repeats(session, final, start):
    attempt = start(final, now=T0)
    keys = [e.key for e in attempt.entries]
    assert len(keys) == len(set(keys)) == 4
    tags = [set(session.get(models.Question, e.question_id).tags) for e in attempt.entries]
    assert sum("khai-niem" in t for t in tags) >= 2
    assert sum("phap-ly" in t for t in tags) >= 2


def test_autosave_sequence_and_stale_saves(session, m1, start):
    attempt = start(m1, now=T0)
    entry = attempt.entries[0]
    qid = entry.question_id
    right, wrong = answer_fields(entry), answer_fields(entry, correct=False)
    now = T0 + dt.timedelta(minutes=1)
    assert save_fields(session, attempt, qid, right, 1, base=0, now=now) == 1
    assert save_fields(session, attempt, qid, right, 1, base=0, now=now) == 1  # retried request: fine
    with pytest.raises(errors.StaleSaveError):
        save_fields(session, attempt, qid, wrong, 1, base=0, now=now)  # same seq, other answer
    other = attempt.entries[1]
    save_fields(session, attempt, other.question_id, answer_fields(other), 5, base=1, now=now)
    with pytest.raises(errors.StaleSaveError) as exc:
        save_fields(session, attempt, qid, wrong, 3, base=1, now=now)  # an old tab
    assert exc.value.last_seq == 5
    with pytest.raises(errors.StaleSaveError):
        # an old tab whose counter ran ahead (refused or replaced saves) is still stale
        save_fields(session, attempt, qid, wrong, 9, base=1, now=now)
    stored = session.scalars(
        select(Answer).where(Answer.attempt_id == attempt.id, Answer.question_id == qid)
    ).one()
    session.refresh(stored)
    assert stored.seq == 1
    assert kinds.get(entry.kind).grade(entry.data, stored.response, 1).correct


def test_save_page_refuses_a_stale_page(session, m1, start):
    attempt = start(m1, now=T0)
    entry = attempt.entries[0]
    save_fields(session, attempt, entry.question_id, answer_fields(entry), 4, base=0, now=T0)
    fields = answer_fields(entry, correct=False)
    responses, problems = kinds.read_page([entry], lambda n: fields.get(n, []))
    assert problems == {}
    with pytest.raises(errors.StaleSaveError):
        attempts.save_page(session, attempt, responses, 0, now=T0)
    assert attempts.save_page(session, attempt, responses, 4, now=T0) == 5
    assert attempt.last_seq == 5


def test_saves_inside_grace_are_kept_later_ones_refused_and_graded(session, m1, start, app):
    grace = app.config["QUIZ_GRACE_SECONDS"]
    attempt = start(m1, now=T0)
    deadline = attempt.deadline_at
    a, b = attempt.entries[0], attempt.entries[1]
    save_fields(
        session,
        attempt,
        a.question_id,
        answer_fields(a),
        1,
        base=0,
        now=deadline + dt.timedelta(seconds=grace - 1),
    )
    with pytest.raises(errors.AttemptClosedError):
        save_fields(
            session,
            attempt,
            b.question_id,
            answer_fields(b),
            2,
            base=1,
            now=deadline + dt.timedelta(seconds=grace + 1),
        )
    assert attempt.submitted_at is not None
    assert attempt.closed_by == "overdue"
    assert attempt.score == a.points  # the answer saved in time counts; the late one does not


def test_overdue_attempt_is_closed_on_next_access(session, m1, start):
    attempt = start(m1, now=T0)
    later = T0 + dt.timedelta(hours=1)
    assert attempts.close_if_overdue(session, attempt, now=later)
    assert attempt.closed_by == "overdue"
    assert attempt.passed is False


def test_close_overdue_command(session, m1, start, app, learner):
    attempt = start(m1, now=T0)  # deadline long past by the real clock
    entry = attempt.entries[0]
    save_fields(session, attempt, entry.question_id, answer_fields(entry), 1, base=0, now=T0)
    result = app.test_cli_runner().invoke(args=["lms", "quizzes", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "closed 1 overdue attempts" in result.output
    session.refresh(attempt)
    assert attempt.submitted_at is not None
    assert attempt.score == entry.points


def test_submit_grades_once(session, m1, start):
    attempt = start(m1, now=T0)
    for i, entry in enumerate(attempt.entries):
        save_fields(session, attempt, entry.question_id, answer_fields(entry), i + 1, base=i, now=T0)
    assert attempts.submit_attempt(session, attempt, now=T0 + dt.timedelta(minutes=3))
    assert (attempt.score, attempt.percent, attempt.passed, attempt.closed_by) == (7, 100, True, "learner")
    assert not attempts.submit_attempt(session, attempt, now=T0 + dt.timedelta(minutes=4))
    assert attempt.submitted_at == T0 + dt.timedelta(minutes=3)
    entry = attempt.entries[0]
    with pytest.raises(errors.AttemptClosedError):
        save_fields(session, attempt, entry.question_id, answer_fields(entry), 99, base=98, now=T0)


def pass_quiz(session, quiz, start, now):
    attempt = start(quiz, now=now)
    for i, entry in enumerate(attempt.entries):
        save_fields(session, attempt, entry.question_id, answer_fields(entry), i + 1, base=i, now=now)
    attempts.submit_attempt(session, attempt, now=now)
    assert attempt.passed
    return attempt


def test_passing_required_quizzes_completes_the_course(session, course, m1, m2, final, start, learner):
    completed = []

    def on_complete(sender, **_kw):
        completed.append(sender)

    enrollment_completed.connect(on_complete)
    try:
        pass_quiz(session, m1, start, T0)
        enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one()
        reqs = {r.key: r for r in rules.quiz_requirements(session, enrollment)}
        assert reqs["quizzes"].detail == "1/2"
        assert not reqs["final_exam"].done
        pass_quiz(session, m2, start, T0)
        assert enrollment.completed_at is None
        pass_quiz(session, final, start, T0)
        assert enrollment.completed_at is not None
        assert completed == [enrollment]
    finally:
        enrollment_completed.disconnect(on_complete)


@pytest.mark.parametrize("switch_off", ["course", "quiz"])
def test_final_exam_not_required_when_course_or_file_says_so(
    session, course, m1, m2, final, start, learner, switch_off
):
    if switch_off == "course":
        course.require_final_exam = False
    else:
        final.required = False
    pass_quiz(session, m1, start, T0)
    pass_quiz(session, m2, start, T0)
    enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one()
    assert enrollment.completed_at is not None


def test_regrade_after_correcting_a_question(session, m1, start, make_user, app):
    attempt = start(m1, now=T0)
    entry = next(e for e in attempt.entries if e.kind == "single")
    # The learner picks the option the author later declares correct.
    save_fields(
        session,
        attempt,
        entry.question_id,
        {f"q{entry.question_id}": [str(entry.order.index(2))]},
        1,
        base=0,
        now=T0,
    )
    attempts.submit_attempt(session, attempt, now=T0)
    assert attempt.score == 0
    question = session.get(models.Question, entry.question_id)
    data = dict(question.data)
    data["options"] = [dict(o, correct=(i == 2)) for i, o in enumerate(data["options"])]
    question.data = data
    session.flush()
    trainer = make_user("trainer", username="gv-regrade")
    result = app.test_cli_runner().invoke(
        args=[
            "lms",
            "quizzes",
            "regrade",
            "--course",
            "kiem-thu",
            "--question",
            question.key,
            "--by",
            "gv-regrade",
        ]
    )
    assert result.exit_code == 0, result.output
    session.refresh(attempt)
    assert attempt.score == entry.points
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "quiz.regrade")).one()
    assert event.actor_id == trainer.id
    assert event.details["attempts"] == 1
    assert event.details["scores_changed"] == 1


def test_statement_counts_are_constant(session, m1, final, start, count_queries, make_user):
    # autosave: the same number of statements for the first save of a question and later ones
    a1 = start(m1, now=T0)
    counts = []
    for seq, entry in enumerate(a1.entries[:3], start=1):
        session.expire_all()
        attempt = session.get(Attempt, a1.id)
        with count_queries() as q:
            save_fields(session, attempt, entry.question_id, answer_fields(entry), seq, base=seq - 1, now=T0)
        counts.append(q.count)
    assert len(set(counts)) == 1, counts
    # submit: independent of how many questions the attempt has (6 vs 4)
    submit_counts = []
    for quiz in (m1, final):
        attempt = start(quiz, user=make_user(), now=T0)
        for seq, entry in enumerate(attempt.entries, start=1):
            save_fields(session, attempt, entry.question_id, answer_fields(entry), seq, base=seq - 1, now=T0)
        session.expire_all()
        attempt = session.get(Attempt, attempt.id)
        with count_queries() as q:
            attempts.submit_attempt(session, attempt, now=T0)
        submit_counts.append(q.count)
    assert submit_counts[0] == submit_counts[1], submit_counts


def test_prerequisites_are_needed_to_start_when_not_enrolled(session, m1, start, learner):
    from lms.catalog.models import Course, CoursePrerequisite
    from lms.learning.services import enroll_user

    basic = Course(slug="co-ban", title="Cơ bản", status="published")
    session.add(basic)
    session.flush()
    session.add(CoursePrerequisite(course_id=m1.course_id, required_course_id=basic.id))
    session.flush()
    session.expire(m1.course, ["prerequisite_links"])
    with pytest.raises(errors.PrerequisitesMissingError):
        start(m1, now=T0)
    enroll_user(session, learner, basic).completed_at = T0
    session.flush()
    assert start(m1, now=T0).number == 1


def test_course_quiz_links_for_course_pages(session, course, m1, m2, final, start, learner):
    pass_quiz(session, m1, start, T0)
    links = rules.course_quiz_links(session, course, learner)
    assert set(links["modules"]) == {"01-tong-quan", "02-phap-ly"}
    assert links["modules"]["01-tong-quan"]["passed"] is True
    assert links["modules"]["02-phap-ly"]["best"] is None
    assert links["final"]["quiz"].id == final.id


def test_regrade_recomputes_completion(session, course, m1, m2, start, learner, make_user):
    course.require_final_exam = False
    pass_quiz(session, m1, start, T0)
    attempt = start(m2, now=T0)
    law1 = next(e for e in attempt.entries if e.key == "law-1")
    law2 = next(e for e in attempt.entries if e.key == "law-2")
    wrong = answer_fields(law1, correct=False)
    save_fields(session, attempt, law1.question_id, wrong, 1, base=0, now=T0)
    save_fields(session, attempt, law2.question_id, answer_fields(law2, correct=False), 2, base=1, now=T0)
    attempts.submit_attempt(session, attempt, now=T0)
    assert attempt.passed is False
    enrollment = session.scalars(select(Enrollment).where(Enrollment.user_id == learner.id)).one()
    assert enrollment.completed_at is None
    # The author finds that the option the learner chose is right after all.
    question = session.get(models.Question, law1.question_id)
    question.data = {
        **question.data,
        "options": [dict(o, correct=not o["correct"]) for o in question.data["options"]],
    }
    session.flush()
    assert attempts.regrade_question(session, question, by=make_user("trainer")) == 1
    assert attempt.passed is True
    assert enrollment.completed_at is not None


def test_regrade_command_for_a_whole_quiz(session, m1, start, app):
    attempt = pass_quiz(session, m1, start, T0)
    result = app.test_cli_runner().invoke(
        args=["lms", "quizzes", "regrade", "--course", "kiem-thu", "--quiz", "01-tong-quan"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("1 attempts regraded") == len(attempt.entries)


def test_closes_at_ends_attempts_and_opens_the_review(session, final, start):
    final.closes_at = T0 + dt.timedelta(minutes=10)
    attempt = start(final, now=T0)
    assert attempt.deadline_at == final.closes_at  # earlier than the 30-minute limit
    attempts.submit_attempt(session, attempt, now=T0 + dt.timedelta(minutes=5))
    mine = [attempt]
    assert not review.may_review(final, attempt, mine, now=T0 + dt.timedelta(minutes=6))
    assert review.may_review(final, attempt, mine, now=T0 + dt.timedelta(minutes=11))
    with pytest.raises(errors.QuizClosedError):
        start(final, now=T0 + dt.timedelta(minutes=11))


def test_final_score_for_certificates(session, course, final, start, learner):
    from lms.learning.services import enroll_user

    enrollment = enroll_user(session, learner, course)
    assert rules.final_score(session, enrollment) is None
    pass_quiz(session, final, start, T0)
    assert rules.final_score(session, enrollment) == 100.0
    from lms.certificates.services import final_score as certificate_score

    assert certificate_score(session, enrollment) == 100.0
