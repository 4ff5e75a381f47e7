"""Graders per kind, through the registry of kinds, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from lms.quizzes import kinds
from lms.quizzes.grading import Score, normalise_short_text


def grade(kind: str, data: dict[str, Any], response: Any, points: float) -> Score:
    return kinds.get(kind).grade(data, response, points)


def clean_response(kind: str, data: dict[str, Any], response: Any) -> Any:
    return kinds.get(kind).clean(data, response)


OPTIONS = {"options": [{"correct": True}, {"correct": False}, {"correct": True}, {"correct": False}]}


@pytest.mark.parametrize(("response", "fraction"), [(0, 1.0), (1, 0.0), (None, 0.0), (9, 0.0)])
def test_single(response, fraction):
    data = {"options": [{"correct": True}, {"correct": False}]}
    assert grade("single", data, response, 2).fraction == fraction


@pytest.mark.parametrize(
    ("response", "partial", "all_or_nothing"),
    [
        ([0, 2], 1.0, 1.0),
        ([0], 0.5, 0.0),
        ([0, 1], 0.0, 0.0),
        ([0, 2, 1], 0.5, 0.0),
        ([1, 3], 0.0, 0.0),
        ([], 0.0, 0.0),
    ],
)
def test_multiple_partial_and_all_or_nothing(response, partial, all_or_nothing):
    assert grade("multiple", {**OPTIONS, "scoring": "partial"}, response, 1).fraction == partial
    assert grade("multiple", {**OPTIONS, "scoring": "all_or_nothing"}, response, 1).fraction == all_or_nothing


def test_multiple_points_are_scaled():
    assert grade("multiple", OPTIONS, [0], 3).points == 1.5


@pytest.mark.parametrize(
    ("answer", "response", "fraction"),
    [(True, True, 1), (True, False, 0), (False, False, 1), (True, None, 0)],
)
def test_true_false(answer, response, fraction):
    assert grade("true_false", {"answer": answer}, response, 1).fraction == fraction


@pytest.mark.parametrize(
    ("given", "fraction"),
    [
        ("Chữ ký số", 1),
        ("chu ky so", 1),  # no diacritics, lower case
        ("  CHỮ   KÝ SỐ.  ", 1),  # spaces and end punctuation
        ("Đường dây nóng", 0),
        ("chữ ký", 0),
        ("", 0),
    ],
)
def test_short_text_vietnamese_folding(given, fraction):
    data = {"answers": ["Chữ ký số"], "ignore_diacritics": True, "case_sensitive": False}
    assert grade("short_text", data, given, 1).fraction == fraction


def test_short_text_dd_folds_to_d():
    data = {"answers": ["Điện tử"], "ignore_diacritics": True, "case_sensitive": False}
    assert grade("short_text", data, "dien tu", 1).correct


def test_short_text_keeping_diacritics_and_case():
    strict = {"answers": ["Hà Nội"], "ignore_diacritics": False, "case_sensitive": True}
    assert grade("short_text", strict, "Hà Nội", 1).correct
    assert not grade("short_text", strict, "Ha Noi", 1).correct
    assert not grade("short_text", strict, "hà nội", 1).correct
    case_only = {"answers": ["Hà Nội"], "ignore_diacritics": True, "case_sensitive": True}
    assert grade("short_text", case_only, "Ha Noi", 1).correct
    assert not grade("short_text", case_only, "ha noi", 1).correct
    accents_only = {"answers": ["Hà Nội"], "ignore_diacritics": False, "case_sensitive": False}
    assert grade("short_text", accents_only, "hà nội", 1).correct
    assert not grade("short_text", accents_only, "ha noi", 1).correct


def test_short_text_nfd_input_matches_nfc_answer():
    import unicodedata

    data = {"answers": ["Chữ ký số"], "ignore_diacritics": False, "case_sensitive": True}
    assert grade("short_text", data, unicodedata.normalize("NFD", "Chữ ký số"), 1).correct


def test_normalise_short_text():
    assert normalise_short_text("  «Chứng   thư số»!! ") == "chung thu so"


def test_matching_share_of_pairs():
    data = {"pairs": [{}, {}, {}, {}]}
    assert grade("matching", data, [0, 1, 2, 3], 1).fraction == 1
    assert grade("matching", data, [0, 1, 3, 2], 1).fraction == 0.5
    assert grade("matching", data, [None, None, None, None], 1).fraction == 0


def test_ordering_all_or_nothing():
    data = {"items": ["a", "b", "c"]}
    assert grade("ordering", data, [0, 1, 2], 2).points == 2
    assert grade("ordering", data, [0, 2, 1], 2).points == 0
    assert grade("ordering", data, None, 2).points == 0


def test_unknown_kind_is_an_error_not_zero():
    with pytest.raises(KeyError):
        grade("essay", {}, "x", 1)


@pytest.mark.parametrize(
    ("kind", "data", "response"),
    [
        ("single", OPTIONS, 7),
        ("single", OPTIONS, True),
        ("multiple", OPTIONS, "0"),
        ("true_false", {}, "yes"),
        ("short_text", {}, 3),
        ("matching", {"pairs": [{}, {}]}, [0]),
        ("ordering", {"items": [1, 2, 3]}, [0, 0, 1]),
    ],
)
def test_clean_response_rejects_malformed(kind, data, response):
    with pytest.raises(ValueError):  # noqa: PT011  (one message per kind)
        clean_response(kind, data, response)
