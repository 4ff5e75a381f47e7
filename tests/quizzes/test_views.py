"""Quiz pages through the test client: flows with and without JS, 409s, leaks, permissions, statistics."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.quizzes.models import Attempt
from tests.quizzes.conftest import answer_fields, save_fields, study_course

# Explanations, option feedback and accepted short answers of the fixture carry these markers;
# an answer key would show up as a "correct" key or attribute.
SECRETS = re.compile(
    r"GIAITHICH|PHANHOI|DAPANNGANX|Chữ ký điện tử|[\"']correct[\"']|data-correct|is_correct", re.IGNORECASE
)


def post_fields(attempt, entries, *, correct=True, **extra):
    data = {"base_seq": str(attempt.last_seq), "page": "1", **extra}
    for e in entries:
        data.update(answer_fields(e, correct=correct))
    return data


@pytest.fixture(autouse=True)
def _studied(session, learner, course):
    """Quizzes open to enrolled learners who studied the lessons (decision 1602); these tests are about the quiz."""
    study_course(session, learner, course)


def current_attempt(session, quiz, user):
    session.expire_all()
    return session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
        .order_by(Attempt.id.desc())
    ).first()


def test_intro_shows_rules_and_history(login_as, learner, m1):
    client = login_as(learner)
    html = client.get(f"/quizzes/{m1.id}").get_data(as_text=True)
    assert "70\u00a0%" in html
    assert "15" in html
    assert "0 of 3" in html or "0 / 3" in html or "0 trên 3" in html


def test_quiz_lists_link_every_quiz(login_as, learner, course, m1, final):
    client = login_as(learner)
    html = client.get(f"/quizzes/course/{course.id}").get_data(as_text=True)
    assert f"/quizzes/{m1.id}" in html
    assert f"/quizzes/{final.id}" in html
    assert f"/quizzes/{m1.id}" in client.get("/quizzes/").get_data(as_text=True)


def test_no_js_flow_and_no_leaks_before_submit(session, login_as, learner, m1):
    client = login_as(learner)
    bodies = []

    def get(url, **kw):
        r = client.get(url, **kw)
        bodies.append(r.get_data(as_text=True))
        return r

    def post(url, **kw):
        r = client.post(url, **kw)
        bodies.append(r.get_data(as_text=True))
        return r

    get(f"/quizzes/{m1.id}")
    r = post(f"/quizzes/{m1.id}/start")
    assert r.status_code == 302
    attempt = current_attempt(session, m1, learner)
    get(r.location)
    entries = attempt.entries
    # autosave one, then save the whole page without JS
    r = post(
        f"/quizzes/attempt/{attempt.id}/autosave",
        json={
            "question": entries[0].question_id,
            "seq": 1,
            "base": 0,
            "fields": answer_fields(entries[0]),
        },
    )
    assert r.status_code == 200
    assert r.get_json() == {"ok": True, "seq": 1}
    r = post(
        f"/quizzes/attempt/{attempt.id}/save", data=post_fields(attempt, entries, action="stay", base_seq="1")
    )
    assert r.status_code == 302
    html = get(r.location, follow_redirects=True).get_data(as_text=True)
    assert re.search(r'id="answered-count"[^>]*>6</span> / 6', html)
    r = post(
        f"/quizzes/attempt/{attempt.id}/save",
        data=post_fields(attempt, entries, action="finish", base_seq="2"),
    )
    assert r.location.endswith(f"/quizzes/attempt/{attempt.id}/submit")
    get(r.location)
    for body in bodies:
        assert not SECRETS.search(body), SECRETS.search(body)
    r = client.post(f"/quizzes/attempt/{attempt.id}/submit")
    html = client.get(r.location).get_data(as_text=True)
    assert "100" in html
    assert "GIAITHICHHASH" in html  # after_submit review shows explanations
    assert "PHANHOIDUNG1" in html  # and the feedback of the chosen option


def test_review_never_hides_answers(session, login_as, learner, m2):
    client = login_as(learner)
    client.post(f"/quizzes/{m2.id}/start")
    attempt = current_attempt(session, m2, learner)
    client.post(f"/quizzes/attempt/{attempt.id}/submit")
    html = client.get(f"/quizzes/attempt/{attempt.id}/result").get_data(as_text=True)
    assert "0,0\u00a0%" in html
    assert not SECRETS.search(html)


def test_review_after_close_waits_for_the_last_attempt(session, login_as, learner, course, final):
    study_course(session, learner, course, pass_module_quizzes=True)
    client = login_as(learner)
    for n in (1, 2):
        client.post(f"/quizzes/{final.id}/start")
        attempt = current_attempt(session, final, learner)
        assert attempt.number == n
        client.post(f"/quizzes/attempt/{attempt.id}/submit")
        html = client.get(f"/quizzes/attempt/{attempt.id}/result").get_data(as_text=True)
        assert bool(re.search("GIAITHICH", html)) is (n == 2)
    assert client.post(f"/quizzes/{final.id}/start").status_code == 302
    assert current_attempt(session, final, learner).number == 2  # no third attempt


def test_paged_quiz_moves_between_pages(session, login_as, learner, m2):
    client = login_as(learner)
    client.post(f"/quizzes/{m2.id}/start")
    attempt = current_attempt(session, m2, learner)
    first = attempt.entries[0]
    r = client.post(f"/quizzes/attempt/{attempt.id}/save", data=post_fields(attempt, [first], action="next"))
    assert r.location.endswith("page=2")
    html = client.get(r.location).get_data(as_text=True)
    assert f'id="question-{attempt.entries[1].question_id}"' in html
    assert f'id="question-{first.question_id}"' not in html


def test_stale_tab_gets_409(session, login_as, learner, m1):
    client = login_as(learner)
    client.post(f"/quizzes/{m1.id}/start")
    attempt = current_attempt(session, m1, learner)
    e = attempt.entries[0]
    url = f"/quizzes/attempt/{attempt.id}/autosave"
    assert (
        client.post(
            url, json={"question": e.question_id, "seq": 5, "base": 0, "fields": answer_fields(e)}
        ).status_code
        == 200
    )
    r = client.post(
        url,
        json={"question": e.question_id, "seq": 6, "base": 0, "fields": answer_fields(e, correct=False)},
    )
    assert r.status_code == 409
    assert r.get_json()["error"] == "stale"
    # an old page (rendered at seq 0) posted without JS
    r = client.post(
        f"/quizzes/attempt/{attempt.id}/save", data=post_fields(attempt, [e], correct=False, base_seq="0")
    )
    assert r.status_code == 409
    assert "/quizzes/attempt/" in r.get_data(as_text=True)  # a reload link


def test_autosave_after_submit_is_refused(session, login_as, learner, m1):
    client = login_as(learner)
    client.post(f"/quizzes/{m1.id}/start")
    attempt = current_attempt(session, m1, learner)
    client.post(f"/quizzes/attempt/{attempt.id}/submit")
    e = attempt.entries[0]
    r = client.post(
        f"/quizzes/attempt/{attempt.id}/autosave",
        json={"question": e.question_id, "seq": 9, "base": 0, "fields": answer_fields(e)},
    )
    assert r.status_code == 410
    assert r.get_json()["result_url"].endswith("/result")
    # a closed attempt says so even when the answer could not be read, or names a question not drawn
    for bad in ({"question": e.question_id, "fields": {e.field_name(): ["x"] * 3, e.field_name(0): ["x"]}},
                {"question": 99999, "fields": {}}):  # fmt: skip
        r = client.post(f"/quizzes/attempt/{attempt.id}/autosave", json={**bad, "seq": 10, "base": 0})
        assert r.status_code == 410


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"question": "x", "seq": 1},
        {"question": 1, "seq": 1, "fields": "a"},
        {"question": 99999, "seq": 1, "base": 0, "fields": {}},
    ],
)
def test_autosave_rejects_malformed_payloads(session, login_as, learner, m1, payload):
    client = login_as(learner)
    client.post(f"/quizzes/{m1.id}/start")
    attempt = current_attempt(session, m1, learner)
    assert client.post(f"/quizzes/attempt/{attempt.id}/autosave", json=payload).status_code == 400


def test_other_learners_attempts_are_hidden(session, login_as, make_user, learner, m1):
    client = login_as(learner)
    client.post(f"/quizzes/{m1.id}/start")
    attempt = current_attempt(session, m1, learner)
    client = login_as(make_user())
    e = attempt.entries[0]
    assert client.get(f"/quizzes/attempt/{attempt.id}").status_code == 404
    assert client.get(f"/quizzes/attempt/{attempt.id}/result").status_code == 404
    assert client.post(f"/quizzes/attempt/{attempt.id}/submit").status_code == 404
    assert (
        client.post(
            f"/quizzes/attempt/{attempt.id}/autosave",
            json={"question": e.question_id, "seq": 1, "base": 0, "fields": {}},
        ).status_code
        == 404
    )


def test_anonymous_is_sent_to_login(client, m1):
    r = client.get(f"/quizzes/{m1.id}")
    assert r.status_code == 302
    assert "/login" in r.location


def test_draft_course_quiz_is_404_for_learners(session, login_as, learner, course, m1):
    course.status = "draft"
    session.flush()
    assert login_as(learner).get(f"/quizzes/{m1.id}").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [("learner", 403), ("hr", 403), ("trainer", 403), ("author", 200), ("admin", 200)],
)
def test_trainer_pages_are_for_the_course_authors_and_admins(
    session, login_as, make_user, author, learner, m1, role, status
):
    from lms.quizzes import attempts

    attempt = attempts.start_attempt(session, m1, learner)
    user = author if role == "author" else make_user(role)
    client = login_as(user)
    assert client.get(f"/quizzes/{m1.id}/stats").status_code == status
    assert client.get(f"/quizzes/{m1.id}/stats.csv").status_code == status
    assert client.get(f"/quizzes/{m1.id}/attempts").status_code == status
    assert client.get(f"/quizzes/attempt/{attempt.id}/inspect").status_code == status
    q = m1.questions[0]
    regrade = client.post(f"/quizzes/question/{q.id}/regrade", data={"quiz_id": m1.id})
    assert regrade.status_code == (302 if status == 200 else 403)
    manage = client.get("/quizzes/manage")
    if role in ("learner", "hr"):
        assert manage.status_code == 403
    else:
        # every trainer has the list, but it shows only the quizzes of courses they author
        assert manage.status_code == 200
        assert (f"/quizzes/{m1.id}/stats" in manage.get_data(as_text=True)) == (status == 200)


def test_statistics_page_csv_and_regrade_button(app, session, login_as, make_user, author, m1):
    from lms.quizzes import attempts

    for correct in (True, True, False):
        user = make_user()
        attempt = attempts.start_attempt(session, m1, user)
        for seq, e in enumerate(attempt.entries, 1):
            save_fields(session, attempt, e.question_id, answer_fields(e, correct=correct), seq, base=seq - 1)
        attempts.submit_attempt(session, attempt)
    client = login_as(author)
    html = client.get(f"/quizzes/{m1.id}/stats").get_data(as_text=True)
    assert "hash-1" in html
    assert "0.67" in html  # facility of every question: 2 of 3 right
    csv_text = client.get(f"/quizzes/{m1.id}/stats.csv").get_data(as_text=True)
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    assert rows[0][0].lstrip("\ufeff") == "question_id"
    hash_row = next(r for r in rows if r[0] == "hash-1")
    assert hash_row[3:6] == ["3", "0.667", "1.000"]
    assert "*Tạo bản tóm lược cố định của văn bản: 2" in csv_text
    hash1 = next(q for q in m1.questions if q.key == "hash-1")
    r = client.post(f"/quizzes/question/{hash1.id}/regrade", data={"quiz_id": m1.id})
    assert r.status_code == 302  # to the page of the regrade job (tests/jobs runs jobs through consumers)
    from lms.jobs import run_queued

    with app.app_context():
        assert run_queued(kinds=["quizzes.regrade"]) == 1
    page = client.get(r.location).get_data(as_text=True)
    assert "Đã chấm lại 3 lượt làm bài." in page, page
    assert f"/quizzes/{m1.id}/stats" in page  # "Continue" back to the statistics


def test_regrade_button_needs_author_permission(login_as, make_user, m1):
    q = m1.questions[0]
    assert login_as(make_user("learner")).post(f"/quizzes/question/{q.id}/regrade").status_code == 403


def test_statements_per_request_are_constant(session, login_as, make_user, course, m1, final, count_queries):
    """Autosave: same count for the first and later saves; submit: same for 6 and 4 questions."""
    saves = []
    submits = []
    for quiz in (m1, final):
        user = make_user()
        study_course(session, user, course, pass_module_quizzes=quiz is final)
        client = login_as(user)
        client.post(f"/quizzes/{quiz.id}/start")
        attempt = current_attempt(session, quiz, user)
        for seq, e in enumerate(attempt.entries, 1):
            # Wrong answers on the final: passing it would complete the course (certificate hooks).
            fields = answer_fields(e, correct=quiz is not final)
            payload = {"question": e.question_id, "seq": seq, "base": seq - 1, "fields": fields}
            with count_queries() as q:
                assert client.post(f"/quizzes/attempt/{attempt.id}/autosave", json=payload).status_code == 200
            saves.append(q.count)
        with count_queries() as q:
            assert client.post(f"/quizzes/attempt/{attempt.id}/submit").status_code == 302
        submits.append(q.count)
    assert len(set(saves)) == 1, saves
    assert submits[0] == submits[1], submits


@pytest.mark.parametrize("key", ["01-tong-quan", "02-phap-ly", "final"])
def test_no_response_of_an_attempt_leaks_the_key(session, login_as, learner, course, key):
    """Every page, redirect and JSON answer of an attempt, up to submitting (and after, for review=never)."""
    from tests.quizzes.helpers import quiz_by_key

    quiz = quiz_by_key(session, course, key)
    if key == "final":
        study_course(session, learner, course, pass_module_quizzes=True)
    client = login_as(learner)
    bodies = []

    def keep(response):
        bodies.append((response.request.path, response.get_data(as_text=True)))
        return response

    keep(client.get(f"/quizzes/{quiz.id}"))
    keep(client.get(f"/quizzes/course/{course.id}"))
    keep(client.get("/quizzes/"))
    keep(client.post(f"/quizzes/{quiz.id}/start"))
    attempt = current_attempt(session, quiz, learner)
    per_page = quiz.questions_per_page or len(attempt.entries)
    pages = [attempt.entries[i : i + per_page] for i in range(0, len(attempt.entries), per_page)]
    seq = 0
    for number, entries in enumerate(pages, 1):
        keep(client.get(f"/quizzes/attempt/{attempt.id}?page={number}"))
        for e in entries:
            seq += 1
            payload = {"question": e.question_id, "seq": seq, "base": seq - 1, "fields": answer_fields(e)}
            keep(client.post(f"/quizzes/attempt/{attempt.id}/autosave", json=payload))
        data = post_fields(
            attempt, entries, correct=False, page=str(number), action="next", base_seq=str(seq)
        )
        seq += 1
        keep(client.post(f"/quizzes/attempt/{attempt.id}/save", data=data))
    keep(client.get(f"/quizzes/attempt/{attempt.id}/submit"))
    keep(client.get(f"/quizzes/attempt/{attempt.id}/result"))  # redirects while open
    for path, body in bodies:
        assert not SECRETS.search(body), (path, SECRETS.search(body))
    keep(client.post(f"/quizzes/attempt/{attempt.id}/submit"))
    result = keep(client.get(f"/quizzes/attempt/{attempt.id}/result")).get_data(as_text=True)
    if quiz.review == "never":
        assert not SECRETS.search(result)
    elif quiz.review == "after_submit":
        assert "GIAITHICH" in result


def test_authors_can_inspect_attempts_with_save_times(session, login_as, author, learner, m1):
    from lms.quizzes import attempts

    attempt = attempts.start_attempt(session, m1, learner)
    e = attempt.entries[0]
    save_fields(session, attempt, e.question_id, answer_fields(e), 1, base=0)
    trainer = login_as(author)
    listing = trainer.get(f"/quizzes/{m1.id}/attempts").get_data(as_text=True)
    assert learner.full_name in listing
    assert f"/quizzes/attempt/{attempt.id}/inspect" in listing
    page = trainer.get(f"/quizzes/attempt/{attempt.id}/inspect").get_data(as_text=True)
    assert "lần lưu số 1" in page  # the save trail: when and which save
    assert "Chưa lưu lần nào" in page  # the other questions were never saved
    assert "GIAITHICH" in page  # trainers see the key and explanations
    learner_client = login_as(learner)
    assert learner_client.get(f"/quizzes/attempt/{attempt.id}/inspect").status_code == 403
    assert learner_client.get(f"/quizzes/{m1.id}/attempts").status_code == 403


def test_statistics_csv_cannot_carry_a_formula(session, login_as, author, m1):
    """A prompt that starts like a formula stays text when a trainer opens the CSV in Excel."""
    import csv
    import io

    question = m1.questions[0]
    question.prompt_html = "<p>=HYPERLINK(&quot;http://evil.example&quot;)</p>"
    session.flush()
    client = login_as(author)
    resp = client.get(f"/quizzes/{m1.id}/stats.csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    row = next(r for r in rows if r[0] == question.key)
    assert row[2] == '\'=HYPERLINK("http://evil.example")'


def test_matching_pairs_and_ordering_positions_right_on_page_and_csv(
    session, login_as, make_user, author, m1
):
    from lms.quizzes import attempts, stats

    for correct in (True, False, None):  # None: submits without answering
        attempt = attempts.start_attempt(session, m1, make_user())
        saves = 0
        for e in attempt.entries:
            if correct is not None and e.kind in ("matching", "ordering"):
                fields = answer_fields(e, correct=correct)
                save_fields(session, attempt, e.question_id, fields, saves + 1, base=saves)
                saves += 1
        attempts.submit_attempt(session, attempt)
    by_key = {s.key: s for s in stats.question_stats(session, m1)}
    # wrong matching swaps both pairs; wrong ordering reverses 3 items, so the middle stays right
    assert by_key["match-1"].part_kind == "pair"
    assert [(p.position, p.right, p.answered) for p in by_key["match-1"].parts] == [(1, 1, 2), (2, 1, 2)]
    assert by_key["order-1"].part_kind == "position"
    assert [(p.position, p.right, p.answered) for p in by_key["order-1"].parts] == [
        (1, 1, 2),
        (2, 2, 2),
        (3, 1, 2),
    ]
    assert all(not s.parts for s in by_key.values() if s.kind not in ("matching", "ordering"))

    client = login_as(author)
    html = client.get(f"/quizzes/{m1.id}/stats").get_data(as_text=True)
    assert "Luật 20/2023/QH15 → Giao dịch điện tử" in html
    assert "<progress" in html
    assert "Tỷ lệ đúng" in html
    assert "2/2" in html  # the middle position: right in both answered attempts
    csv_text = client.get(f"/quizzes/{m1.id}/stats.csv").get_data(as_text=True)
    assert (
        "Luật 20/2023/QH15 → Giao dịch điện tử: 1/2; Nghị định 130/2018 → Chữ ký số và dịch vụ chứng thực: 1/2"
        in csv_text
    )
    assert (
        "1. Tính giá trị băm: 1/2; 2. Mã hoá giá trị băm bằng khoá bí mật: 2/2; 3. Đính kèm chữ ký vào văn bản: 1/2"
        in csv_text
    )
