"""Test data factories: one way to make a course (the ``make_course`` fixture wraps it).

Plain functions taking the session, so helpers and benchmarks can use them too.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from lms.catalog.models import Course, CourseStatus, Lesson, Module

_n = itertools.count(1)


def make_course(
    session: Session,
    *,
    title: str | None = None,
    slug: str | None = None,
    lessons: int = 0,
    status: str = CourseStatus.PUBLISHED,
    **fields: Any,
) -> Course:
    """A published course; with ``lessons=N`` one module "m1" holding N lessons.

    Completion rules default to "nothing required" without lessons and to "the lessons"
    with them; quizzes and the final exam are never required (pass ``require_…`` to change).
    """
    n = next(_n)
    fields.setdefault("require_lessons", lessons > 0)
    fields.setdefault("require_quizzes", False)
    fields.setdefault("require_final_exam", False)
    course = Course(slug=slug or f"khoa-{n}", title=title or f"Khoá học {n}", status=status, **fields)
    session.add(course)
    session.flush()
    if lessons:
        module = Module(key="m1", title="Mô-đun 1", course_id=course.id)
        session.add(module)
        session.flush()
        for i in range(lessons):
            module.lessons.append(Lesson(key=f"l{i}", title=f"Bài {i}", course_id=course.id))
        session.flush()
    return course
