"""Catalogue search finds words inside lesson text, without diacritics too, and names the lesson."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.catalog.importer import import_course, parse_course
from lms.catalog.parts import ImportErrors

COURSE = Path(__file__).resolve().parents[2] / "courses" / "chu-ky-so-cong-vu"


@pytest.fixture
def signatures(session):
    errors = ImportErrors()
    parsed = parse_course(COURSE, errors)
    assert parsed is not None, errors.problems
    assert import_course(session, parsed, errors) is not None, errors.problems
    return parsed


def test_a_word_from_a_lesson_finds_the_course_and_names_the_lesson(signatures, client, make_user, login_as):
    client = login_as(make_user())
    html = client.get("/courses/?q=SafeNet").get_data(as_text=True)
    assert "Chữ ký số" in html
    assert "Tìm thấy trong:" in html
    assert "/courses/chu-ky-so-cong-vu/learn/03-thao-tac/01-usb-token-va-ma-pin" in html
    assert "USB token" in html
    assert "/courses/chu-ky-so-cong-vu/learn/03-thao-tac/01-usb-token-va-ma-pin" in client.get(
        "/courses/?q=safenet"
    ).get_data(as_text=True)


def test_search_without_diacritics_matches_lesson_text(signatures, make_user, login_as):
    client = login_as(make_user())
    html = client.get("/courses/?q=trinh+dieu+khien").get_data(as_text=True)  # "trình điều khiển"
    assert "01-usb-token-va-ma-pin" in html
    assert "Không có khoá học nào phù hợp" not in html
    assert "01-usb-token-va-ma-pin" not in client.get("/courses/?q=khongcotu").get_data(as_text=True)


def test_statements_per_search_are_constant(signatures, make_user, login_as, count_queries):
    client = login_as(make_user())
    counts = []
    for q in ("SafeNet", "chu ky so", "token ma pin trinh dieu khien"):
        with count_queries() as c:
            assert client.get(f"/courses/?q={q}").status_code == 200
        counts.append(c.count)
    assert len(set(counts)) == 1, counts


def test_the_result_shows_a_snippet_with_the_match_marked(signatures, make_user, login_as):
    client = login_as(make_user())
    html = client.get("/courses/?q=trinh+dieu+khien").get_data(as_text=True)
    # The original words (with diacritics) are marked although the query had none.
    assert "<mark>trình</mark> <mark>điều</mark> <mark>khiển</mark>" in html
    html = client.get("/courses/?q=safenet").get_data(as_text=True)
    assert "<mark>SafeNet</mark>" in html


def test_the_index_follows_lesson_changes(signatures, session, make_user, login_as):
    from sqlalchemy import select

    from lms.catalog.models import Lesson
    from lms.core.text import fold

    lesson = session.scalars(select(Lesson).where(Lesson.key == "01-usb-token-va-ma-pin")).first()
    lesson.search_text = fold(f"{lesson.title} Trình ký Gemalto")  # what the importer writes on a new version
    session.flush()
    client = login_as(make_user())
    assert "01-usb-token-va-ma-pin" in client.get("/courses/?q=gemalto").get_data(as_text=True)
    assert "01-usb-token-va-ma-pin" not in client.get("/courses/?q=safenet").get_data(as_text=True)
    session.delete(lesson)
    session.flush()
    assert "01-usb-token-va-ma-pin" not in client.get("/courses/?q=gemalto").get_data(as_text=True)


def test_quotes_and_operators_in_the_query_are_only_words(signatures, make_user, login_as):
    client = login_as(make_user())
    for q in ('"SafeNet', "safenet OR", "NEAR(token pin)", "a & b | !c", "token:*", "*", "()"):
        assert client.get("/courses/", query_string={"q": q}).status_code == 200, q
    assert "01-usb-token-va-ma-pin" in client.get("/courses/", query_string={"q": '"SafeNet'}).get_data(
        as_text=True
    )
