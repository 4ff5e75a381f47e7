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
