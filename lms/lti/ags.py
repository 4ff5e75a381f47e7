"""Assignment and Grade Services 2.0 and Names and Role Provisioning Services 2.0 (decision 1805).

Scores go out through the job queue (``lti.send_score``, retried with back-off): a quiz attempt graded
or a course completed by a learner who came in through a link queues one job per link that should
hear of it. The job gets a token (client credentials with our signed JWT assertion), finds or makes
the line item, posts the score and remembers it in ``GradeSync`` (a repeat sends nothing).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.db import utcnow
from lms.jobs import PermanentJobError, enqueue, enqueue_many, job
from lms.learning.models import Enrollment
from lms.lti import keys
from lms.lti.models import GradeSync, Identity, Link, LinkMember, Platform
from lms.quizzes.models import Attempt, Quiz

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
NRPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
HTTP_TIMEOUT = 15


class ServiceError(Exception):
    """A platform service call failed; ``retry`` says whether trying later can help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


# --- OAuth 2 client credentials with a JWT assertion ----------------------------------------------

_TOKENS: dict[tuple[int, str], tuple[float, str]] = {}
_TOKENS_LOCK = threading.Lock()


def access_token(session: Session, platform: Platform, scopes: list[str]) -> str:
    """A bearer token for these scopes (cached until a minute before it expires)."""
    scope = " ".join(sorted(scopes))
    with _TOKENS_LOCK:
        cached = _TOKENS.get((platform.id, scope))
        if cached and cached[0] > time.monotonic():
            return cached[1]
    assertion = keys.sign(
        session,
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.access_token_url,
            "jti": secrets.token_urlsafe(16),
        },
    )
    try:
        response = requests.post(
            platform.access_token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "scope": scope,
            },
            timeout=HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise ServiceError(f"token endpoint unreachable: {exc}") from exc
    if response.status_code != 200:
        raise ServiceError(
            f"token refused: {response.status_code} {response.text[:200]}", retry=response.status_code >= 500
        )
    body = response.json()
    token = str(body["access_token"])
    lifetime = float(body.get("expires_in", 3600))
    with _TOKENS_LOCK:
        _TOKENS[(platform.id, scope)] = (time.monotonic() + max(lifetime - 60, 0), token)
    return token


def forget_tokens() -> None:
    with _TOKENS_LOCK:
        _TOKENS.clear()


def _call(method: str, url: str, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    try:
        response = requests.request(method, url, headers=headers, timeout=HTTP_TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise ServiceError(f"{method} {url}: {exc}") from exc
    if response.status_code >= 400:
        retry = response.status_code in (401, 408, 429) or response.status_code >= 500
        if response.status_code == 401:
            forget_tokens()
        raise ServiceError(f"{method} {url}: {response.status_code} {response.text[:200]}", retry=retry)
    return response


def _scores_url(lineitem_url: str) -> str:
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


# --- what to send ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreToSend:
    resource_id: str  # "quiz:<slug>/<key>" or "course:<slug>"
    label: str
    score: float  # out of 100
    timestamp: dt.datetime
    completed: bool


def _links_for(session: Session, user_id: int, course_id: int) -> list[tuple[Link, Identity]]:
    rows = session.execute(
        select(Link, Identity)
        .join(LinkMember, LinkMember.link_id == Link.id)
        .join(Identity, Identity.id == LinkMember.identity_id)
        .where(Identity.user_id == user_id, Link.course_id == course_id)
        .where((Link.lineitems_url != "") | (Link.lineitem_url != ""))
        .order_by(Link.id)
    ).all()
    return [(link, identity) for link, identity in rows]


def _wants(link: Link, resource_id: str) -> bool:
    """A quiz link hears only of its quiz; a course, module or lesson link of the whole course."""
    if link.target.startswith("quiz:"):
        return link.target == resource_id
    return bool(link.lineitems_url) or link.target == resource_id


def queue_scores(session: Session, user_id: int, course_id: int, score: ScoreToSend) -> int:
    """One ``lti.send_score`` job per link of this learner that should get this score."""
    count = 0
    stamp = score.timestamp.isoformat()
    for link, identity in _links_for(session, user_id, course_id):
        if not _wants(link, score.resource_id):
            continue
        enqueue(
            session,
            "lti.send_score",
            key=f"lti-score:{link.id}:{identity.id}:{score.resource_id}:{stamp}",
            link_id=link.id,
            identity_id=identity.id,
            resource_id=score.resource_id,
            label=score.label,
            score=score.score,
            timestamp=stamp,
            completed=score.completed,
        )
        count += 1
    return count


def on_attempt_graded(attempt: Attempt, *, session: Session, **_kw: object) -> None:
    """Receiver of ``lms.quizzes.attempts.attempt_graded``: queue the learner's best score of the quiz."""
    quiz = session.get(Quiz, attempt.quiz_id)
    if quiz is None or not _links_for(session, attempt.user_id, quiz.course_id):
        return
    best = session.scalar(
        select(func.max(Attempt.percent)).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == attempt.user_id, Attempt.graded_at.is_not(None)
        )
    )
    score = ScoreToSend(
        resource_id=f"quiz:{quiz.course.slug}/{quiz.key}",
        label=quiz.title,
        score=float(best or 0.0),
        timestamp=attempt.graded_at or utcnow(),
        completed=True,
    )
    queue_scores(session, attempt.user_id, quiz.course_id, score)


def on_enrollments_completed(
    _sender: object, *, session: Session, enrollments: list[Enrollment], **_kw: object
) -> None:
    """Receiver of ``enrollments_completed``: each course's completion line item gets 100.

    Set-based (decision 1303): one query for every learner's links, one batch of jobs, so a
    class's attendance save costs the same for 5 people as for 30.
    """
    wanted = {(e.user_id, e.course_id): e for e in enrollments}
    rows = session.execute(
        select(Link, Identity)
        .join(LinkMember, LinkMember.link_id == Link.id)
        .join(Identity, Identity.id == LinkMember.identity_id)
        .where(Identity.user_id.in_({u for u, _ in wanted}), Link.course_id.in_({c for _, c in wanted}))
        .where((Link.lineitems_url != "") | (Link.lineitem_url != ""))
        .order_by(Link.id)
    ).all()
    items: list[tuple[str | None, dict[str, Any]]] = []
    for link, identity in rows:
        enrollment = wanted.get((identity.user_id, link.course_id))
        if enrollment is None:
            continue
        course = enrollment.course
        resource_id = f"course:{course.slug}"
        if not _wants(link, resource_id):
            continue
        stamp = (enrollment.completed_at or utcnow()).isoformat()
        items.append(
            (
                f"lti-score:{link.id}:{identity.id}:{resource_id}:{stamp}",
                {"link_id": link.id, "identity_id": identity.id, "resource_id": resource_id,
                 "label": course.title, "score": 100.0, "timestamp": stamp, "completed": True},
            )
        )  # fmt: skip
    if items:
        enqueue_many(session, "lti.send_score", items)


# --- the job ----------------------------------------------------------------------------------------


def _lineitem_for(session: Session, link: Link, token: str, resource_id: str, label: str) -> str:
    if link.lineitem_url and link.target == resource_id:
        return link.lineitem_url
    known = session.scalar(
        select(GradeSync.lineitem_url).where(
            GradeSync.link_id == link.id, GradeSync.resource_id == resource_id, GradeSync.lineitem_url != ""
        )
    )
    if known:
        return str(known)
    if not link.lineitems_url:
        raise ServiceError("the link has no line items service", retry=False)
    found = _call(
        "GET",
        link.lineitems_url,
        token,
        params={"resource_id": resource_id, "resource_link_id": link.resource_link_id},
        headers={"Accept": LINEITEMS_TYPE},
    ).json()
    if found:
        return str(found[0]["id"])
    made = _call(
        "POST",
        link.lineitems_url,
        token,
        json={
            "scoreMaximum": 100,
            "label": label,
            "resourceId": resource_id,
            "resourceLinkId": link.resource_link_id,
        },
        headers={"Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
    ).json()
    return str(made["id"])


def send_score(
    session: Session,
    *,
    link_id: int,
    identity_id: int,
    resource_id: str,
    label: str,
    score: float,
    timestamp: str,
    completed: bool,
) -> bool:
    """Post one score; False when the same score (same time) was sent already."""
    link = session.get(Link, link_id)
    identity = session.get(Identity, identity_id)
    if link is None or identity is None:
        return False
    sync = session.scalar(
        select(GradeSync).where(
            GradeSync.link_id == link.id,
            GradeSync.identity_id == identity.id,
            GradeSync.resource_id == resource_id,
        )
    )
    when = dt.datetime.fromisoformat(timestamp)
    if sync is not None and sync.sent_at is not None and sync.sent_at >= when and sync.score == score:
        return False
    scopes = [s for s in (SCOPE_LINEITEM, SCOPE_SCORE) if s in link.ags_scopes] or [SCOPE_SCORE]
    token = access_token(session, link.platform, scopes)
    lineitem = _lineitem_for(session, link, token, resource_id, label)
    _call(
        "POST",
        _scores_url(lineitem),
        token,
        json={
            "userId": identity.sub,
            "scoreGiven": round(score, 2),
            "scoreMaximum": 100,
            "timestamp": when.isoformat(),
            "activityProgress": "Completed" if completed else "InProgress",
            "gradingProgress": "FullyGraded",
        },
        headers={"Content-Type": SCORE_TYPE},
    )
    if sync is None:
        sync = GradeSync(link_id=link.id, identity_id=identity.id, resource_id=resource_id)
        session.add(sync)
    sync.lineitem_url = lineitem
    sync.score = score
    sync.score_max = 100
    sync.sent_at = when
    session.flush()
    return True


@job("lti.send_score", max_attempts=8)
def send_score_job(ctx: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        sent = send_score(ctx.session, **kwargs)
    except ServiceError as exc:
        if not exc.retry:
            raise PermanentJobError(str(exc)) from exc
        raise
    return {"sent": sent}


# --- NRPS ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    roles: list[str]
    status: str


def roster(session: Session, link: Link) -> list[Member]:
    """The context's members from the platform (every page of the container, following Link: next)."""
    if not link.nrps_url:
        raise ServiceError("this link has no Names and Role Provisioning service", retry=False)
    token = access_token(session, link.platform, [SCOPE_NRPS])
    members: list[Member] = []
    url: str | None = link.nrps_url
    pages = 0
    while url and pages < 50:
        response = _call("GET", url, token, headers={"Accept": NRPS_TYPE})
        for m in response.json().get("members", []):
            members.append(
                Member(
                    user_id=str(m.get("user_id", "")),
                    name=str(
                        m.get("name") or " ".join(filter(None, [m.get("given_name"), m.get("family_name")]))
                    ),
                    email=str(m.get("email") or ""),
                    roles=[str(r) for r in m.get("roles", [])],
                    status=str(m.get("status") or "Active"),
                )
            )
        url = response.links.get("next", {}).get("url")
        pages += 1
    return members


@job("lti.cleanup")
def cleanup_job(ctx: Any) -> dict[str, Any]:
    from lms.lti.launch import delete_old_launch_rows

    return {"deleted": delete_old_launch_rows(ctx.session)}
