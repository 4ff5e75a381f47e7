"""xAPI 1.0.3 statements of the site's learning events: verbs, activity IRIs, actor (decisions 1722, 1723).

Every builder is a pure function of rows already loaded, and every statement id is a UUID derived
from the fact it records (``uuid5`` of the activity base URL and a fact key such as
``enrollment:12:completed``), so the statement recorded when the event happens and the one
``lms xapi replay`` regenerates for it are the same statement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from lms.core.html import plain_text
from lms.core.timefmt import local_midnight

VERSION = "1.0.3"

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, tuple[str, str]] = {  # our name → (IRI, en-US display)
    "registered": (ADL + "registered", "registered"),
    "launched": (ADL + "launched", "launched"),
    "completed": (ADL + "completed", "completed"),
    "answered": (ADL + "answered", "answered"),
    "passed": (ADL + "passed", "passed"),
    "failed": (ADL + "failed", "failed"),
    "attended": (ADL + "attended", "attended"),
    "earned": ("http://id.tincanapi.com/verb/earned", "earned"),
}
ACTIVITY = "http://adlnet.gov/expapi/activities/"
TYPES = {
    "course": ACTIVITY + "course",
    "lesson": ACTIVITY + "lesson",
    "quiz": ACTIVITY + "assessment",
    "question": ACTIVITY + "cmi.interaction",
    "class": ACTIVITY + "meeting",
    "certificate": "http://id.tincanapi.com/activitytype/badge",
}
# Our question kinds as cmi.interaction types (xAPI Data 2.4.4.1).
INTERACTIONS = {
    "single": "choice",
    "multiple": "choice",
    "true_false": "true-false",
    "short_text": "fill-in",
    "matching": "matching",
    "ordering": "sequencing",
}
EXT_CERTIFICATE_URL = "https://w3id.org/xapi/acrossx/extensions/evidence"  # the certificate's verify page
LANG = "vi-VN"


@dataclass(frozen=True)
class Profile:
    """What the configuration fixes about every statement (built by ``lms.xapi.services.profile``)."""

    base: str  # activity IRIs start with this (LMS_XAPI_ACTIVITY_BASE, default LMS_PUBLIC_URL)
    actor: str  # account | pseudonymous | mbox (LMS_XAPI_ACTOR)
    homepage: str  # the account's homePage (LMS_XAPI_ACCOUNT_HOMEPAGE, default the base)
    pseudonym_key: bytes = b""  # LMS_XAPI_PSEUDONYM_KEY (HMAC-SHA256), for actor=pseudonymous
    platform: str = "LMS"

    @property
    def namespace(self) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, self.base)


@dataclass(frozen=True)
class Statement:
    statement_id: str
    verb: str
    body: dict[str, Any]


def statement_id(profile: Profile, fact: str) -> str:
    """The statement's id: the same fact on the same site always gives the same UUID."""
    return str(uuid.uuid5(profile.namespace, fact))


def registration(profile: Profile, enrollment_id: int | None) -> str | None:
    """The xAPI registration of every statement about one enrolment (a UUID of the enrolment)."""
    return (
        None if enrollment_id is None else str(uuid.uuid5(profile.namespace, f"enrollment:{enrollment_id}"))
    )


def pseudonym(profile: Profile, user_id: int) -> str:
    """A stable id that cannot be traced back to the person without the key (HMAC-SHA256)."""
    return hmac.new(profile.pseudonym_key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()


def actor(profile: Profile, user_id: int, email: str | None = None) -> dict[str, Any]:
    """The learner as the province chose (decision 1722): our stable user id, a pseudonym, or e-mail."""
    if profile.actor == "mbox" and email:
        return {"objectType": "Agent", "mbox": f"mailto:{email}"}
    name = pseudonym(profile, user_id) if profile.actor == "pseudonymous" else str(user_id)
    return {"objectType": "Agent", "account": {"homePage": profile.homepage, "name": name}}


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _activity(iri: str, kind: str, name: str, **definition: Any) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {"type": TYPES[kind], "name": {LANG: name[:250] or "-"}, **definition},
    }


def course_iri(profile: Profile, slug: str) -> str:
    return f"{profile.base}/xapi/courses/{slug}"


def course_activity(profile: Profile, course: Any) -> dict[str, Any]:
    return _activity(course_iri(profile, course.slug), "course", course.title)


def lesson_activity(profile: Profile, course: Any, module_key: str, lesson: Any) -> dict[str, Any]:
    iri = f"{course_iri(profile, course.slug)}/lessons/{module_key}/{lesson.key}"
    return _activity(iri, "lesson", lesson.title)


def quiz_activity(profile: Profile, course: Any, quiz: Any) -> dict[str, Any]:
    return _activity(f"{course_iri(profile, course.slug)}/quizzes/{quiz.key}", "quiz", quiz.title)


def class_activity(profile: Profile, cls: Any) -> dict[str, Any]:
    return _activity(f"{profile.base}/xapi/classes/{cls.id}", "class", cls.title)


def certificate_activity(profile: Profile, course: Any) -> dict[str, Any]:
    return _activity(f"{course_iri(profile, course.slug)}/certificate", "certificate", course.title)


def _statement(
    profile: Profile,
    fact: str,
    verb: str,
    who: dict[str, Any],
    obj: dict[str, Any],
    when: dt.datetime,
    *,
    enrollment_id: int | None = None,
    parents: list[dict[str, Any]] | None = None,
    grouping: list[dict[str, Any]] | None = None,
    result: dict[str, Any] | None = None,
) -> Statement:
    sid = statement_id(profile, fact)
    context: dict[str, Any] = {"platform": profile.platform, "language": LANG}
    reg = registration(profile, enrollment_id)
    if reg:
        context["registration"] = reg
    activities: dict[str, Any] = {}
    if parents:
        activities["parent"] = [{"objectType": "Activity", "id": a["id"]} for a in parents]
    if grouping:
        activities["grouping"] = [{"objectType": "Activity", "id": a["id"]} for a in grouping]
    if activities:
        context["contextActivities"] = activities
    iri, display = VERBS[verb]
    body: dict[str, Any] = {
        "id": sid,
        "actor": who,
        "verb": {"id": iri, "display": {"en-US": display}},
        "object": obj,
        "timestamp": _iso(when),
        "context": context,
        "version": VERSION,
    }
    if result is not None:
        body["result"] = result
    return Statement(sid, verb, body)


# --- the events ------------------------------------------------------------------------------------


def registered(profile: Profile, enrollment: Any, user: Any) -> Statement:
    return _statement(
        profile, f"enrollment:{enrollment.id}:registered", "registered",
        actor(profile, user.id, user.email), course_activity(profile, enrollment.course),
        enrollment.enrolled_at, enrollment_id=enrollment.id,
    )  # fmt: skip


def launched(
    profile: Profile, enrollment: Any, user: Any, module_key: str, lesson: Any, when: dt.datetime
) -> Statement:
    """Opening a lesson; each opening is its own statement (its id comes from the time)."""
    course = course_activity(profile, enrollment.course)
    return _statement(
        profile, f"enrollment:{enrollment.id}:launched:{lesson.id}:{_iso(when)}", "launched",
        actor(profile, user.id, user.email), lesson_activity(profile, enrollment.course, module_key, lesson),
        when, enrollment_id=enrollment.id, parents=[course], grouping=[course],
    )  # fmt: skip


def lesson_completed(
    profile: Profile, enrollment: Any, user: Any, module_key: str, lesson: Any, when: dt.datetime
) -> Statement:
    course = course_activity(profile, enrollment.course)
    return _statement(
        profile, f"enrollment:{enrollment.id}:lesson:{lesson.id}:completed", "completed",
        actor(profile, user.id, user.email), lesson_activity(profile, enrollment.course, module_key, lesson),
        when, enrollment_id=enrollment.id, parents=[course], grouping=[course],
        result={"completion": True},
    )  # fmt: skip


def course_completed(profile: Profile, enrollment: Any, user: Any) -> Statement:
    return _statement(
        profile, f"enrollment:{enrollment.id}:completed", "completed",
        actor(profile, user.id, user.email), course_activity(profile, enrollment.course),
        enrollment.completed_at, enrollment_id=enrollment.id,
        result={"completion": True, "success": True},
    )  # fmt: skip


def _response(value: Any) -> str:
    """An answer as the string xAPI wants in result.response (lists joined with ``[,]``)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "[,]".join(_response(v) for v in value)
    if isinstance(value, dict):
        return "[,]".join(f"{k}[.]{_response(v)}" for k, v in sorted(value.items()))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _score(points: float, max_points: float) -> dict[str, Any]:
    """xAPI score: ``scaled`` in [-1, 1] and ``min`` <= ``raw`` <= ``max`` (an LRS refuses anything else)."""
    raw = round(points, 4)
    scaled = round(points / max_points, 4) if max_points else 0.0
    return {
        "scaled": max(-1.0, min(1.0, scaled)),
        "raw": raw,
        "min": min(0, raw),
        "max": max(round(max_points, 4), raw),
    }


def answered(
    profile: Profile, attempt: Any, user: Any, course: Any, enrollment_id: int | None, entry: Any, answer: Any
) -> Statement:
    """One question of a graded attempt: the learner's response and whether it earned full marks."""
    quiz = quiz_activity(profile, course, attempt.quiz)
    definition: dict[str, Any] = {"interactionType": INTERACTIONS.get(entry.kind, "other")}
    question = _activity(
        f"{course_iri(profile, course.slug)}/questions/{entry.key}",
        "question",
        plain_text(entry.prompt_html or "") or entry.key,
        **definition,
    )
    points = float(answer.score or 0.0)
    return _statement(
        profile, f"attempt:{attempt.id}:{_iso(attempt.graded_at)}:answered:{entry.question_id}", "answered",
        actor(profile, user.id, user.email), question, attempt.graded_at, enrollment_id=enrollment_id,
        parents=[quiz], grouping=[course_activity(profile, course)],
        result={
            "response": _response(answer.response)[:4000],
            "success": bool(entry.points) and points >= float(entry.points),
            "score": _score(points, float(entry.points)),
        },
    )  # fmt: skip


def quiz_result(
    profile: Profile, attempt: Any, user: Any, course: Any, enrollment_id: int | None
) -> Statement:
    """passed or failed, with score.scaled (0–1) and the attempt's duration."""
    verb = "passed" if attempt.passed else "failed"
    result: dict[str, Any] = {
        "success": bool(attempt.passed),
        "completion": True,
        "score": _score(float(attempt.score or 0.0), float(attempt.max_score or 0.0)),
    }
    if attempt.submitted_at and attempt.started_at:
        seconds = max(0, int((attempt.submitted_at - attempt.started_at).total_seconds()))
        result["duration"] = f"PT{seconds}S"
    return _statement(
        profile, f"attempt:{attempt.id}:{_iso(attempt.graded_at)}:{verb}", verb,
        actor(profile, user.id, user.email), quiz_activity(profile, course, attempt.quiz), attempt.graded_at,
        enrollment_id=enrollment_id, parents=[course_activity(profile, course)],
        grouping=[course_activity(profile, course)], result=result,
    )  # fmt: skip


def attended(profile: Profile, cls: Any, user: Any, day: dt.date, enrollment_id: int | None) -> Statement:
    """Present at one day of an in-person class (the day's start in the site's timezone)."""
    course = course_activity(profile, cls.course)
    return _statement(
        profile, f"class:{cls.id}:user:{user.id}:{day.isoformat()}:attended", "attended",
        actor(profile, user.id, user.email), class_activity(profile, cls), local_midnight(day),
        enrollment_id=enrollment_id, parents=[course], grouping=[course],
    )  # fmt: skip


def earned(profile: Profile, cert: Any, user: Any, verify_url: str) -> Statement:
    course = course_activity(profile, cert.course)
    return _statement(
        profile, f"certificate:{cert.id}:earned", "earned",
        actor(profile, user.id, user.email), certificate_activity(profile, cert.course), cert.issued_at,
        enrollment_id=cert.enrollment_id, parents=[course], grouping=[course],
        result={"completion": True, "success": True, "extensions": {EXT_CERTIFICATE_URL: verify_url}},
    )  # fmt: skip


def dumps(statement: Statement) -> str:
    return json.dumps(statement.body, ensure_ascii=False, sort_keys=True)
