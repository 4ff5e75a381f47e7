"""The one course differ (lms.catalog.differ): pure, no database.

The same snapshot pair feeds the importer's English notes and the editor's
version-history lines, so both describe a change the same way.
"""

from __future__ import annotations

import copy
from typing import Any

from lms.catalog.differ import Change, diff_courses
from lms.catalog.importer import import_notes


def _snapshot() -> dict[str, Any]:
    return {
        "course": {"title": "Chữ ký số", "estimated_hours": 2.0, "prerequisites": []},
        "modules": [
            {
                "key": "m1",
                "title": "Khái niệm",
                "summary": "",
                "lessons": [
                    {"key": "l1", "title": "Chữ ký số là gì", "body": "A"},
                    {"key": "l2", "title": "Chứng thư số", "body": "B"},
                ],
            },
            {
                "key": "m2",
                "title": "Thực hành",
                "summary": "",
                "lessons": [{"key": "l3", "title": "Ký", "body": "C"}],
            },
        ],
        "quizzes": [{"module": None, "settings": {"title": "Kiểm tra cuối"}, "questions": []}],
        "assets": {"img/a.png": "aa"},
    }


def test_equal_snapshots_have_no_changes() -> None:
    assert diff_courses(_snapshot(), _snapshot()) == []


def test_each_kind_of_change_is_found_in_a_stable_order() -> None:
    old, new = _snapshot(), _snapshot()
    new["course"]["estimated_hours"] = 3.0
    new["modules"][0]["lessons"][0]["body"] = "A2"
    new["modules"][0]["lessons"].reverse()  # l2 before l1 now
    new["modules"][0]["lessons"].append({"key": "l4", "title": "Mới", "body": "D"})
    new["modules"][1]["title"] = "Thực hành ký"
    new["modules"].append({"key": "m3", "title": "Thêm", "summary": "", "lessons": []})
    new["quizzes"][0]["settings"]["pass_mark"] = 80
    new["assets"] = {"img/a.png": "changed", "img/b.png": "bb"}

    assert diff_courses(old, new) == [
        Change("course", "changed", "estimated_hours"),
        Change("lessons", "reordered", "m1", "Khái niệm"),
        Change("lesson", "changed", "m1/l1", "Chữ ký số là gì"),
        Change("lesson", "added", "m1/l4", "Mới"),
        Change("module", "changed", "m2", "Thực hành ký"),
        Change("module", "added", "m3", "Thêm"),
        Change("quiz", "changed", "", "Kiểm tra cuối"),
        Change("images", "changed", counts=(1, 1, 0)),
    ]


def test_a_removed_module_is_not_reported_lesson_by_lesson() -> None:
    old, new = _snapshot(), copy.deepcopy(_snapshot())
    new["modules"] = new["modules"][:1]
    assert diff_courses(old, new) == [Change("module", "removed", "m2", "Thực hành")]


def test_import_notes_word_the_changes_as_the_cli_always_did() -> None:
    old, new = _snapshot(), _snapshot()
    new["course"]["title"] = "Chữ ký số (2026)"
    new["modules"][0]["summary"] = "Mới"
    new["modules"][0]["lessons"][1]["body"] = "B2"
    new["modules"][1]["lessons"].append({"key": "l9", "title": "X", "body": ""})
    del new["modules"][0]["lessons"][0]
    new["assets"] = {}
    assert import_notes(diff_courses(old, new)) == [
        "course: title changed",
        "lessons added: m2/l9",
        "lessons removed: m1/l1",
        "changed: m1/module.yaml, m1/l2",
        "images: 0 added, 0 changed, 1 removed",
    ]
