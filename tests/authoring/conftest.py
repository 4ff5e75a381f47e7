"""Fixtures: a trainer who authors a small course with one module and one lesson."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lms.auth.models import User
from lms.authoring import services
from lms.authoring.models import DraftLesson, DraftModule
from lms.catalog.models import Course


@dataclass
class Authored:
    author: User
    course: Course
    module: DraftModule
    lesson: DraftLesson


@pytest.fixture
def authored(session: Any, make_user: Any) -> Authored:
    author = make_user("trainer")
    course = services.create_course(
        session, slug="ky-so-co-ban", title="Ký số cơ bản", topic="digital-signature", by=author
    )
    draft = services.get_draft(session, course)
    draft.summary = "Nhập môn ký số."
    module = services.add_module(session, draft, "Tổng quan", by=author)
    lesson = services.add_lesson(session, module, "Chữ ký số là gì?", by=author)
    services.save_lesson(
        session,
        lesson,
        title=lesson.title,
        estimated_minutes=10,
        required=True,
        body_markdown="## Khái niệm\n\nChữ ký số dùng **khoá bí mật**.",
        expected_version=lesson.lock_version,
        by=author,
    )
    return Authored(author, course, module, lesson)
