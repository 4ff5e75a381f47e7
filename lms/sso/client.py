"""The Authlib client for the province's OpenID Provider, built from ``LMS_OIDC_*``.

One client per app and configuration (tests change the configuration of one app); it keeps the
provider's discovery document and keys after the first fetch, and re-fetches the keys when a
token names an unknown key id (key rotation at the provider).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import current_app

NAME = "province"


def enabled() -> bool:
    cfg = current_app.config
    return bool(cfg.get("OIDC_ISSUER") and cfg.get("OIDC_CLIENT_ID"))


def client() -> FlaskOAuth2App:
    cfg = current_app.config
    key = (cfg["OIDC_ISSUER"], cfg["OIDC_CLIENT_ID"], cfg["OIDC_CLIENT_SECRET"], cfg["OIDC_SCOPES"])
    clients: dict[tuple[str, ...], Any] = current_app.extensions.setdefault("lms.sso.clients", {})
    found = clients.get(key)
    if found is None:
        oauth = OAuth()
        oauth.init_app(current_app._get_current_object())  # type: ignore[attr-defined]
        found = oauth.register(
            NAME,
            client_id=cfg["OIDC_CLIENT_ID"],
            client_secret=cfg["OIDC_CLIENT_SECRET"] or None,
            server_metadata_url=cfg["OIDC_ISSUER"] + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": cfg["OIDC_SCOPES"],
                "code_challenge_method": "S256",  # PKCE on top of the client secret
                "default_timeout": cfg["OIDC_TIMEOUT_SECONDS"],
            },
        )
        clients[key] = found
    return found


def metadata() -> dict[str, Any]:
    """The provider's discovery document (fetched once); its issuer must be the configured one."""
    data: dict[str, Any] = client().load_server_metadata()
    if data.get("issuer", "").rstrip("/") != current_app.config["OIDC_ISSUER"]:
        raise ValueError("the discovery document names another issuer")
    return data


def form_origins() -> list[str]:
    """Origins our forms lead to through a redirect (sign-in start, logout): the provider's.

    Browsers apply CSP ``form-action`` to the redirects after a form POST, so these must be allowed.
    Endpoints on other hosts than the issuer count once the discovery document has been read.
    """
    urls = [current_app.config["OIDC_ISSUER"]]
    known = client().server_metadata
    urls += [known.get("authorization_endpoint", ""), known.get("end_session_endpoint", "")]
    origins = []
    for url in urls:
        parts = urlsplit(url)
        origin = (
            f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https"} and parts.netloc else ""
        )
        if origin and origin not in origins:
            origins.append(origin)
    return origins
