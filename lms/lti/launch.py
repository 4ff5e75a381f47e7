"""OIDC login initiation and id_token validation for LTI 1.3 launches (decision 1802).

No Flask request in here: the views pass what the platform sent and our own URLs.
Each failed check raises ``LaunchError`` with a code the error page explains.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import Role, User
from lms.catalog.models import Course, CourseStatus, Lesson, Module
from lms.db import utcnow
from lms.learning.services import enroll_user
from lms.lti.models import Identity, Launch, Link, LinkMember, LoginState, Platform
from lms.lti.services import find_platform
from lms.quizzes.models import Quiz

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
STATE_LIFETIME = dt.timedelta(minutes=10)
LAUNCH_LIFETIME = dt.timedelta(minutes=10)
DEEP_LINK_LIFETIME = dt.timedelta(hours=1)
CLOCK_SKEW = 120  # seconds of clock difference tolerated on iat/exp
MAX_TOKEN_AGE = 3600  # an id_token issued longer ago than this is refused whatever its exp
HTTP_TIMEOUT = 10


class LaunchError(Exception):
    """A launch refused for a reason ``code`` (see ``lms.lti.views.ERRORS``)."""

    def __init__(self, code: str, status: int = 400, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.status = status
        self.detail = detail


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- platform keys ----------------------------------------------------------------------------

_JWKS_CACHE: dict[str, tuple[float, KeySet]] = {}
_JWKS_LOCK = threading.Lock()
JWKS_TTL = 300.0


def fetch_jwks(url: str, *, refresh: bool = False) -> KeySet:
    """A platform's public keys, cached for a few minutes (fetched again when a kid is unknown)."""
    with _JWKS_LOCK:
        cached = _JWKS_CACHE.get(url)
        if cached and not refresh and time.monotonic() - cached[0] < JWKS_TTL:
            return cached[1]
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        keyset = KeySet.import_key_set(response.json())
    except (requests.RequestException, ValueError, JoseError) as exc:
        raise LaunchError("jwks_unavailable", 502, str(exc)) from exc
    with _JWKS_LOCK:
        _JWKS_CACHE[url] = (time.monotonic(), keyset)
    return keyset


def _verify_signature(platform: Platform, id_token: str) -> dict[str, Any]:
    try:
        header = dict(extract_compact(id_token.encode()).protected)
    except (ValueError, JoseError) as exc:
        raise LaunchError("malformed", detail=str(exc)) from exc
    if header.get("alg") != "RS256":
        raise LaunchError("signature", detail=f"alg {header.get('alg')!r}")
    keyset = fetch_jwks(platform.jwks_url)
    kid = header.get("kid")
    if kid and not any(k.kid == kid for k in keyset.keys):
        keyset = fetch_jwks(platform.jwks_url, refresh=True)
    try:
        token = jwt.decode(id_token, keyset, algorithms=["RS256"])
    except (ValueError, JoseError) as exc:
        raise LaunchError("signature", detail=str(exc)) from exc
    return dict(token.claims)


# --- login initiation -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    params: dict[str, str]


def start_login(
    session: Session,
    params: dict[str, str],
    *,
    redirect_uri: str,
    our_origins: tuple[str, ...],
    now: dt.datetime | None = None,
) -> LoginRedirect:
    """Third-party initiated login: check the platform and target, keep state + nonce, build the redirect."""
    issuer = params.get("iss", "").strip()
    login_hint = params.get("login_hint", "").strip()
    target = params.get("target_link_uri", "").strip()
    if not issuer or not login_hint or not target:
        raise LaunchError("login_params")
    platform = find_platform(session, issuer, params.get("client_id", "").strip() or None)
    if platform is None:
        raise LaunchError("unknown_platform", 403, issuer)
    deployment = params.get("lti_deployment_id", "").strip()
    if deployment and deployment not in platform.deployment_ids:
        raise LaunchError("deployment", 403, deployment)
    if not target.startswith(tuple(o.rstrip("/") + "/" for o in our_origins)):
        raise LaunchError("target_link_uri", detail=target)
    now = now or utcnow()
    state = LoginState(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        platform_id=platform.id,
        target_link_uri=target,
        created_at=now,
        expires_at=now + STATE_LIFETIME,
    )
    session.add(state)
    session.flush()
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": redirect_uri,
        "login_hint": login_hint,
        "state": state.state,
        "nonce": state.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    return LoginRedirect(platform.auth_login_url, query)


# --- the launch ---------------------------------------------------------------------------------


@dataclass
class Validated:
    platform: Platform
    claims: dict[str, Any]
    state: LoginState

    @property
    def message_type(self) -> str:
        return str(self.claims[CLAIM + "message_type"])

    @property
    def deployment_id(self) -> str:
        return str(self.claims[CLAIM + "deployment_id"])


def validate_launch(
    session: Session, id_token: str, state_value: str, *, now: dt.datetime | None = None
) -> Validated:
    """Every check of the LTI 1.3 security framework, in order; the state (and its nonce) is used up."""
    if not id_token:
        raise LaunchError("missing_token")
    if not state_value:
        raise LaunchError("state_unknown")
    state = session.scalar(select(LoginState).where(LoginState.state == state_value))
    if state is None:
        raise LaunchError("state_unknown")
    now = now or utcnow()
    if state.used_at is not None:
        raise LaunchError("nonce_replay", 409)
    if state.expires_at < now:
        raise LaunchError("state_expired")
    platform = session.get(Platform, state.platform_id)
    if platform is None or not platform.is_active:
        raise LaunchError("unknown_platform", 403)
    claims = _verify_signature(platform, id_token)
    _check_claims(platform, state, claims, now)
    state.used_at = now  # the nonce is single-use from here on
    session.flush()
    return Validated(platform, claims, state)


def _check_claims(platform: Platform, state: LoginState, claims: dict[str, Any], now: dt.datetime) -> None:
    if claims.get("iss") != platform.issuer:
        raise LaunchError("iss", detail=str(claims.get("iss")))
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
    if platform.client_id not in audiences:
        raise LaunchError("aud", detail=str(aud))
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != platform.client_id:
        raise LaunchError("aud", detail=f"azp {claims.get('azp')!r}")
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp < stamp - CLOCK_SKEW:
        raise LaunchError("exp")
    if not isinstance(iat, int | float) or iat > stamp + CLOCK_SKEW or iat < stamp - MAX_TOKEN_AGE:
        raise LaunchError("iat")
    if not secrets.compare_digest(str(claims.get("nonce", "")), state.nonce):
        raise LaunchError("nonce")
    if not claims.get("sub"):
        raise LaunchError("sub")
    if str(claims.get(CLAIM + "deployment_id", "")) not in platform.deployment_ids:
        raise LaunchError("deployment", 403, str(claims.get(CLAIM + "deployment_id")))
    message_type = claims.get(CLAIM + "message_type")
    if message_type not in (RESOURCE_LINK, DEEP_LINKING):
        raise LaunchError("message_type", detail=str(message_type))
    if claims.get(CLAIM + "version") != "1.3.0":
        raise LaunchError("version", detail=str(claims.get(CLAIM + "version")))
    if not isinstance(claims.get(CLAIM + "roles"), list):
        raise LaunchError("roles")
    if message_type == RESOURCE_LINK:
        if claims.get(CLAIM + "target_link_uri") != state.target_link_uri:
            raise LaunchError("target_link_uri", detail=str(claims.get(CLAIM + "target_link_uri")))
        link = claims.get(CLAIM + "resource_link")
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchError("resource_link")
    else:
        settings = claims.get(DL_CLAIM + "deep_linking_settings")
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise LaunchError("deep_linking_settings")


# --- who and where ------------------------------------------------------------------------------


def _display_name(claims: dict[str, Any]) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(str(claims.get(k) or "").strip() for k in ("family_name", "given_name")).strip()
    return name[:200] or "Người học LTI"


def ensure_identity(session: Session, platform: Platform, sub: str, *, name: str, email: str) -> Identity:
    """The (issuer, sub) identity, with a new local account of its own the first time.

    An e-mail equal to a local account's does not join them: an admin links them (decision 1803).
    """
    identity = session.scalar(select(Identity).where(Identity.issuer == platform.issuer, Identity.sub == sub))
    if identity is None:
        digest = hashlib.sha256(f"{platform.issuer}\n{sub}".encode()).hexdigest()[:12]
        user = User(username=f"lti-{digest}", email=None, full_name=name, password_hash="")
        user.set_roles({Role.LEARNER.value})
        session.add(user)
        session.flush()
        identity = Identity(issuer=platform.issuer, sub=sub, platform_id=platform.id, user_id=user.id)
        session.add(identity)
    identity.email = email[:255]
    identity.name = name
    session.flush()
    return identity


def identity_for(session: Session, v: Validated, *, now: dt.datetime) -> Identity:
    """The launching user's identity (made on the first launch); a deactivated account is refused."""
    identity = ensure_identity(
        session,
        v.platform,
        str(v.claims["sub"]),
        name=_display_name(v.claims),
        email=str(v.claims.get("email") or ""),
    )
    identity.last_launch_at = now
    if not identity.user.is_active:
        raise LaunchError("account_disabled", 403)
    return identity


@dataclass(frozen=True)
class Target:
    """Where a launch lands: an endpoint of ours and its values, and the course it is in."""

    course: Course
    endpoint: str
    values: dict[str, Any]
    label: str


def resolve_target(session: Session, target: str) -> Target | None:
    """``course:<slug>``, ``module:<slug>/<module>``, ``lesson:<slug>/<module>/<lesson>``, ``quiz:<slug>/<quiz>``."""
    kind, _, rest = target.partition(":")
    parts = rest.split("/")
    course = session.scalar(
        select(Course).where(Course.slug == parts[0], Course.status == CourseStatus.PUBLISHED)
    )
    if course is None:
        return None
    if kind == "course" and len(parts) == 1:
        return Target(course, "learning.course", {"slug": course.slug}, course.title)
    if kind == "module" and len(parts) == 2:
        module = session.scalar(select(Module).where(Module.course_id == course.id, Module.key == parts[1]))
        lesson = module.lessons[0] if module is not None and module.lessons else None
        if module is None or lesson is None:
            return None
        values = {"slug": course.slug, "module_key": module.key, "lesson_key": lesson.key}
        return Target(course, "learning.lesson", values, module.title)
    if kind == "lesson" and len(parts) == 3:
        lesson = session.scalar(
            select(Lesson)
            .join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id == course.id, Module.key == parts[1], Lesson.key == parts[2])
        )
        if lesson is None:
            return None
        values = {"slug": course.slug, "module_key": parts[1], "lesson_key": lesson.key}
        return Target(course, "learning.lesson", values, lesson.title)
    if kind == "quiz" and len(parts) == 2:
        quiz = session.scalar(
            select(Quiz).where(Quiz.course_id == course.id, Quiz.key == parts[1], Quiz.active.is_(True))
        )
        if quiz is None:
            return None
        return Target(course, "quizzes.intro", {"quiz_id": quiz.id}, quiz.title)
    return None


def target_from_path(session: Session, endpoint: str, values: Mapping[str, Any]) -> str:
    """Our own URL (target_link_uri) as a target string, when it names a course, lesson or quiz."""
    if endpoint == "learning.course":
        return f"course:{values['slug']}"
    if endpoint == "learning.lesson":
        return f"lesson:{values['slug']}/{values['module_key']}/{values['lesson_key']}"
    if endpoint == "quizzes.intro":
        quiz = session.get(Quiz, values["quiz_id"])
        if quiz is not None:
            return f"quiz:{quiz.course.slug}/{quiz.key}"
    return ""


def record_resource_launch(
    session: Session,
    v: Validated,
    identity: Identity,
    target: Target | None,
    target_key: str,
    *,
    now: dt.datetime,
) -> tuple[Launch, str]:
    """Remember the link and its service endpoints, enrol the learner, and open a launch token."""
    claims = v.claims
    resource = claims[CLAIM + "resource_link"]
    context = claims.get(CLAIM + "context") or {}
    link = session.scalar(
        select(Link).where(
            Link.platform_id == v.platform.id,
            Link.deployment_id == v.deployment_id,
            Link.resource_link_id == str(resource["id"]),
        )
    )
    if link is None:
        link = Link(
            platform_id=v.platform.id, deployment_id=v.deployment_id, resource_link_id=str(resource["id"])
        )
        session.add(link)
    link.context_id = str(context.get("id") or "")[:255]
    link.context_title = str(context.get("title") or "")[:255]
    link.title = str(resource.get("title") or "")[:255]
    link.target = target_key
    link.course_id = target.course.id if target else None
    ags = claims.get(AGS_CLAIM) or {}
    link.lineitems_url = str(ags.get("lineitems") or "")
    link.lineitem_url = str(ags.get("lineitem") or "")
    link.ags_scopes = [str(s) for s in ags.get("scope") or []]
    nrps = claims.get(NRPS_CLAIM) or {}
    link.nrps_url = str(nrps.get("context_memberships_url") or "")
    link.updated_at = now
    session.flush()
    member = session.scalar(
        select(LinkMember).where(LinkMember.link_id == link.id, LinkMember.identity_id == identity.id)
    )
    if member is None:
        member = LinkMember(link_id=link.id, identity_id=identity.id)
        session.add(member)
    member.roles = [str(r) for r in claims.get(CLAIM + "roles") or []]
    if target is not None:
        enroll_user(session, identity.user, target.course)
    return _open_launch(session, v, identity, "resource", now + LAUNCH_LIFETIME, link=link)


def record_deep_linking(
    session: Session, v: Validated, identity: Identity, *, now: dt.datetime
) -> tuple[Launch, str]:
    settings = v.claims[DL_CLAIM + "deep_linking_settings"]
    return _open_launch(
        session, v, identity, "deep_linking", now + DEEP_LINK_LIFETIME, data={"settings": settings}
    )


def _open_launch(
    session: Session,
    v: Validated,
    identity: Identity,
    kind: str,
    expires_at: dt.datetime,
    *,
    link: Link | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[Launch, str]:
    token = secrets.token_urlsafe(32)
    launch = Launch(
        token_hash=token_hash(token),
        kind=kind,
        platform_id=v.platform.id,
        deployment_id=v.deployment_id,
        identity_id=identity.id,
        link_id=link.id if link else None,
        data=data or {},
        expires_at=expires_at,
    )
    session.add(launch)
    session.flush()
    return launch, token


def launch_by_token(session: Session, token: str, kind: str, *, now: dt.datetime | None = None) -> Launch:
    launch = session.scalar(select(Launch).where(Launch.token_hash == token_hash(token), Launch.kind == kind))
    if launch is None:
        raise LaunchError("launch_unknown", 404)
    if launch.expires_at < (now or utcnow()):
        raise LaunchError("launch_expired", 403)
    return launch


def delete_old_launch_rows(
    session: Session, *, older_than: dt.timedelta = dt.timedelta(days=1), now: dt.datetime | None = None
) -> int:
    """Login states and launch tokens are needed for minutes; drop those that expired a day ago."""
    from sqlalchemy import delete

    limit = (now or utcnow()) - older_than
    states = session.execute(delete(LoginState).where(LoginState.expires_at < limit))
    launches = session.execute(delete(Launch).where(Launch.expires_at < limit))
    session.flush()
    return int(states.rowcount or 0) + int(launches.rowcount or 0)  # type: ignore[attr-defined]
