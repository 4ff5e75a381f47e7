"""Course completion rules, with a registry other features plug into.

A requirement is a function ``(session, enrollment) -> Requirement | None``;
None means "does not apply to this course". The quiz feature registers "required
quizzes passed", the training feature "attendance recorded". The lessons rule is
built in. ``enrollment_completed`` is sent once when an enrollment completes
(certificates subscribe to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from blinker import Namespace
from sqlalchemy.orm import Session

from lms.learning.models import Enrollment


@dataclass(frozen=True)
class Requirement:
    key: str  # e.g. "lessons", "quizzes", "final_exam", "attendance"
    label: str  # translated, for the learner
    done: bool
    detail: str = ""


RequirementCheck = Callable[[Session, Enrollment], "Requirement | list[Requirement] | None"]

_checks: list[RequirementCheck] = []

signals = Namespace()
enrollment_completed = signals.signal("enrollment-completed")
"""Sent with sender=enrollment, session=session, after completed_at is set (flushed)."""


def register_requirement(check: RequirementCheck) -> RequirementCheck:
    """Register a completion requirement (usable as a decorator); idempotent."""
    if check not in _checks:
        _checks.append(check)
    return check


def registered_requirements() -> list[RequirementCheck]:
    return list(_checks)
