"""Certificate codes: unguessable, short, grouped, forgiving to type."""

from __future__ import annotations

import math

import pytest

from lms.certificates.codes import ALPHABET, LENGTH, format_code, new_code, normalize_code


def test_codes_carry_at_least_80_random_bits_without_look_alikes() -> None:
    assert LENGTH * math.log2(len(ALPHABET)) >= 80
    assert not set("01OIL") & set(ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)


def test_codes_are_shown_in_groups() -> None:
    assert format_code("ABCDEF23456789GHJK") == "ABCDEF-234567-89GHJK"


@pytest.mark.parametrize(
    "typed",
    [
        "ABCDEF-234567-89GHJK",
        "abcdef-234567-89ghjk",
        "ABCDEF234567 89GHJK",
        " abcdef 234567 89ghjk ",
        "Abcdef_234567.89ghJK",
    ],
)
def test_codes_are_accepted_in_any_case_with_or_without_separators(typed: str) -> None:
    assert normalize_code(typed) == "ABCDEF23456789GHJK"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCDEF-234567",
        "ABCDEF-234567-89GHJK-X",
        "ABCDEF-234567-89GHJ0",
        "1' OR '1'='1",
        "ÀBCDEF-234567-89GHJK",
    ],
)
def test_malformed_codes_are_rejected(typed: str) -> None:
    assert normalize_code(typed) is None
