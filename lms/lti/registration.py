"""LTI Dynamic Registration 1.0: a platform admin pastes our one-time URL; we register ourselves.

The platform opens ``/lti/register/<token>?openid_configuration=…&registration_token=…``. We read its
OpenID configuration (its issuer must prefix the configuration URL), POST our client metadata to its
registration endpoint and store the registration the platform answers (client id, deployment id).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import User
from lms.core import audit
from lms.db import utcnow
from lms.lti.launch import LaunchError, token_hash
from lms.lti.models import Platform, RegistrationToken
from lms.lti.services import PlatformData, add_deployment, find_platform, save_platform

TOKEN_LIFETIME = dt.timedelta(days=7)
HTTP_TIMEOUT = 15
TOOL_CONF = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONF = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)


def create_token(session: Session, *, by: User, now: dt.datetime | None = None) -> str:
    """A one-time registration URL token (its hash stored), valid for a week."""
    token = secrets.token_urlsafe(24)
    now = now or utcnow()
    session.add(
        RegistrationToken(
            token_hash=token_hash(token), created_by_id=by.id, created_at=now, expires_at=now + TOKEN_LIFETIME
        )
    )
    session.flush()
    audit.record(session, "lti.registration_url_created", actor_id=by.id)
    return token


def token_row(session: Session, token: str, *, now: dt.datetime | None = None) -> RegistrationToken:
    row = session.scalar(select(RegistrationToken).where(RegistrationToken.token_hash == token_hash(token)))
    if row is None:
        raise LaunchError("registration_unknown", 404)
    if row.used_at is not None:
        raise LaunchError("registration_used", 403)
    if row.expires_at < (now or utcnow()):
        raise LaunchError("registration_expired", 403)
    return row


def read_configuration(url: str) -> dict[str, Any]:
    """The platform's OpenID configuration, checked for what registration needs."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise LaunchError("registration_config", detail=url)
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        conf = dict(response.json())
    except (requests.RequestException, ValueError) as exc:
        raise LaunchError("registration_config", 502, str(exc)) from exc
    issuer = str(conf.get("issuer") or "")
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
    if any(not conf.get(k) for k in needed) or not url.startswith(issuer.rstrip("/")):
        raise LaunchError("registration_config", detail="issuer / endpoints")
    return conf


@dataclass(frozen=True)
class ToolUrls:
    login: str
    launch: str
    jwks: str
    name: str
    logo: str = ""


def client_metadata(urls: ToolUrls) -> dict[str, Any]:
    """Our registration request (OpenID Connect Dynamic Client Registration + the LTI tool configuration)."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": urls.name,
        "jwks_uri": urls.jwks,
        **({"logo_uri": urls.logo} if urls.logo else {}),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONF: {
            "domain": urlsplit(urls.launch).netloc,
            "target_link_uri": urls.launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": urls.launch, "label": urls.name},
            ],
        },
    }


def register(
    session: Session, row: RegistrationToken, conf_url: str, registration_token: str, urls: ToolUrls
) -> Platform:
    """Register with the platform and store (or update) its registration; the URL is used up."""
    conf = read_configuration(conf_url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = requests.post(
            str(conf["registration_endpoint"]),
            json=client_metadata(urls),
            headers=headers,
            timeout=HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise LaunchError("registration_refused", 502, str(exc)) from exc
    if response.status_code not in (200, 201):
        raise LaunchError("registration_refused", 502, f"{response.status_code} {response.text[:200]}")
    answer = response.json()
    client_id = str(answer.get("client_id") or "")
    if not client_id:
        raise LaunchError("registration_refused", 502, "no client_id")
    deployment = str((answer.get(TOOL_CONF) or {}).get("deployment_id") or "")
    product = (conf.get(PLATFORM_CONF) or {}).get("product_family_code") or ""
    by = session.get(User, row.created_by_id) if row.created_by_id else None
    issuer = str(conf["issuer"])
    platform = find_platform(session, issuer, client_id)
    data = PlatformData(
        name=f"{product or urlsplit(issuer).netloc} ({urlsplit(issuer).netloc})"[:200],
        issuer=issuer,
        client_id=client_id,
        auth_login_url=str(conf["authorization_endpoint"]),
        access_token_url=str(conf["token_endpoint"]),
        jwks_url=str(conf["jwks_uri"]),
        deployment_ids=[
            *(platform.deployment_ids if platform else []),
            *([deployment] if deployment else []),
        ],
    )
    if by is None:
        raise LaunchError("registration_unknown", 404)
    platform = save_platform(session, data, by=by, platform=platform)
    if deployment:
        add_deployment(session, platform, deployment)
    row.used_at = utcnow()
    row.platform_id = platform.id
    session.flush()
    return platform
