"""The import's per-field checks, run as plain functions (no database, no app).

Each row of a people or units file becomes a typed row; the tables PERSON_CHECKS and
UNIT_CHECKS say, in order, what is wrong with it. The HR officer sees exactly these
problems next to the row.
"""

from __future__ import annotations

from typing import Any

from lms.auth.models import ITQualification
from lms.org.models import UnitKind
from lms.training.importer import PERSON_CHECKS, UNIT_CHECKS, PersonRow, UnitRow, row_problems


def person(**cells: Any) -> PersonRow:
    base = {"full_name": "Nguyễn Văn An", "email": "an@so-tttt.gov.vn", "unit_code": "STTTT"}
    return PersonRow.read({"n": 2, "c": {**base, **cells}})


def unit(**cells: Any) -> UnitRow:
    base = {
        "code": "XA-01",
        "name": "UBND xã Tân Lập",
        "parent_code": "H-01",
        "kind": "Xã",
        "remote": "không",
    }
    return UnitRow.read({"n": 3, "c": {**base, **cells}})


def test_a_good_person_row_has_no_problems_and_is_cleaned() -> None:
    p = person(
        full_name="  Nguyễn   Văn An ",
        email=" An@So-TTTT.gov.vn",
        unit_code="stTT",
        it_qualification="Đại học",
    )
    assert row_problems(p, PERSON_CHECKS) == []
    assert (p.full_name, p.email, p.unit_code, p.login) == (
        "Nguyễn Văn An",
        "an@so-tttt.gov.vn",
        "sttt",
        "an@so-tttt.gov.vn",
    )
    assert p.qualification is ITQualification.BACHELOR


def test_person_problems_come_in_the_table_order_with_the_value_shown() -> None:
    p = person(
        full_name="", email="not-an-address", username="Bad Name!", unit_code="", it_qualification="tiến sĩ"
    )
    assert row_problems(p, PERSON_CHECKS) == [
        ("full_name", "required", ""),
        ("email", "bad_email", "not-an-address"),
        ("username", "bad_username", "bad name!"),
        ("unit_code", "required", ""),
        ("it_qualification", "bad_qualification", "tiến sĩ"),
    ]


def test_a_person_needs_an_email_or_a_username_and_long_texts_are_refused() -> None:
    p = person(email="", full_name="A" * 201, job_title="B" * 201)
    assert row_problems(p, PERSON_CHECKS) == [
        ("full_name", "too_long", ""),
        ("email", "need_login", ""),
        ("job_title", "too_long", ""),
    ]
    assert row_problems(person(email="", username="an.nv"), PERSON_CHECKS) == []


def test_a_good_unit_row_reads_kind_and_remote_words() -> None:
    u = unit(remote="Có")
    assert row_problems(u, UNIT_CHECKS) == []
    assert (u.key, u.kind, u.remote) == ("xa-01", UnitKind.COMMUNE, True)
    assert unit(remote="").remote is False


def test_unit_problems_come_in_the_table_order() -> None:
    u = unit(code="X" * 41, name="", kind="tỉnh lỵ", remote="có lẽ")
    assert row_problems(u, UNIT_CHECKS) == [
        ("code", "too_long", ""),
        ("name", "required", ""),
        ("kind", "bad_kind", "tỉnh lỵ"),
        ("remote", "bad_remote", "có lẽ"),
    ]
    assert row_problems(unit(code=""), UNIT_CHECKS)[0] == ("code", "required", "")
