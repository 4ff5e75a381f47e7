from __future__ import annotations

import itertools
from typing import Any

import pytest

from lms.catalog.models import Course, CourseStatus

_n = itertools.count(1)


@pytest.fixture
def make_course(session: Any) -> Any:
    def make(**kw: Any) -> Course:
        n = next(_n)
        course = Course(
            slug=kw.pop("slug", f"khoa-{n}"),
            title=kw.pop("title", f"Khoá học {n}"),
            status=CourseStatus.PUBLISHED,
            require_lessons=kw.pop("require_lessons", False),
            require_quizzes=False,
            require_final_exam=False,
            **kw,
        )
        session.add(course)
        session.flush()
        return course

    return make
