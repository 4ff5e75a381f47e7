"""Deep Linking 2.0: our catalogue as content items, and the signed LtiDeepLinkingResponse."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.catalog.models import Course, CourseStatus, Module
from lms.lti import keys
from lms.lti.launch import CLAIM, DL_CLAIM, Target
from lms.lti.models import Launch
from lms.quizzes.models import Quiz


@dataclass(frozen=True)
class Choice:
    target: str
    label: str
    kind: str  # "course" | "module" | "quiz"


@dataclass(frozen=True)
class CatalogueEntry:
    course: Course
    choices: list[Choice]


def catalogue(session: Session) -> list[CatalogueEntry]:
    """Published courses with their modules and active quizzes (3 statements)."""
    courses = session.scalars(
        select(Course)
        .where(Course.status == CourseStatus.PUBLISHED)
        .options(selectinload(Course.modules).selectinload(Module.lessons))
        .order_by(Course.title)
    ).all()
    quizzes: dict[int, list[Quiz]] = {}
    for quiz in session.scalars(
        select(Quiz)
        .where(Quiz.active.is_(True), Quiz.course_id.in_([c.id for c in courses]))
        .order_by(Quiz.id)
    ):
        quizzes.setdefault(quiz.course_id, []).append(quiz)
    entries = []
    for course in courses:
        choices = [Choice(f"course:{course.slug}", course.title, "course")]
        choices += [
            Choice(f"module:{course.slug}/{m.key}", m.title, "module") for m in course.modules if m.lessons
        ]
        choices += [
            Choice(f"quiz:{course.slug}/{q.key}", q.title, "quiz") for q in quizzes.get(course.id, [])
        ]
        entries.append(CatalogueEntry(course, choices))
    return entries


def content_item(target: Target, key: str, url: str) -> dict[str, Any]:
    """An ltiResourceLink; quizzes and whole courses come with a line item for their score."""
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": target.label,
        "url": url,
        "custom": {"target": key},
    }
    if key.startswith(("quiz:", "course:")):
        item["lineItem"] = {"scoreMaximum": 100, "label": target.label, "resourceId": key}
    return item


def response_jwt(session: Session, launch: Launch, items: list[dict[str, Any]]) -> str:
    """The LtiDeepLinkingResponse, signed with our current key."""
    settings = launch.data.get("settings", {})
    claims: dict[str, Any] = {
        "iss": launch.platform.client_id,
        "aud": launch.platform.issuer,
        "nonce": secrets.token_urlsafe(16),
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": launch.deployment_id,
        DL_CLAIM + "content_items": items,
    }
    if settings.get("data"):
        claims[DL_CLAIM + "data"] = settings["data"]
    return keys.sign(session, claims)
