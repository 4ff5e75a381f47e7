"""Sign-in with the province's OpenID Provider, its error pages, and the administrators' rules."""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    DecodeError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from werkzeug.wrappers import Response

from lms.auth.access import Access, Permission, access
from lms.auth.views import _safe_next
from lms.core import audit
from lms.db import db, write_on_get
from lms.sso import client as oidc
from lms.sso import services
from lms.sso.forms import SettingsForm, StartForm, UnlinkForm

bp = Blueprint("sso", __name__, template_folder="templates")

ID_TOKEN_KEY = "sso_id_token"  # noqa: S105 (a session key, not a secret) kept for RP-initiated logout
NEXT_KEY = "sso_next"

# code -> (HTTP status, title, explanation). Shown in the visitor's language (Vietnamese first).
ERRORS: dict[str, tuple[int, Any, Any]] = {
    "state": (
        400,
        _l("This sign-in has expired or was not started here"),
        _l(
            "The answer from the province's sign-in page does not belong to a sign-in started in this "
            "browser (it was opened twice, in another browser, or too late). Nothing was changed. "
            "Please start again."
        ),
    ),
    "code": (
        400,
        _l("This sign-in code was already used"),
        _l(
            "The province's sign-in service refused the code: it was already used or has expired. "
            "A code works once. Nothing was changed. Please sign in again."
        ),
    ),
    "audience": (
        400,
        _l("The sign-in was meant for another site"),
        _l(
            "The identity token is addressed to another application, so this site refused it. "
            "Nothing was changed. If it happens again, tell the site administrator."
        ),
    ),
    "expired": (
        400,
        _l("The sign-in has expired"),
        _l(
            "The identity token from the province's sign-in service has already expired (or the clocks "
            "of the two systems disagree). Nothing was changed. Please sign in again; if it happens "
            "again, tell the site administrator."
        ),
    ),
    "signature": (
        400,
        _l("The sign-in could not be verified"),
        _l(
            "The identity token failed the check (its signature, issuer or one-time number is wrong), "
            "so this site refused it. Nothing was changed. If it happens again, tell the site administrator."
        ),
    ),
    "denied": (
        400,
        _l("The sign-in was cancelled"),
        _l("The province's sign-in service did not sign you in. Nothing was changed."),
    ),
    "unknown_user": (
        403,
        _l("Your province account has no account on this site yet"),
        _l(
            "You signed in at the province, but no account of this site matches you and new accounts "
            "are not created automatically. Ask your unit's HR officer or the site administrator to "
            "add you (with the e-mail address of your province account), then sign in again."
        ),
    ),
    "already_linked": (
        403,
        _l("This account is linked to another province account"),
        _l(
            "The matching account of this site already belongs to another province account, so it was "
            "not linked again. Ask the site administrator to check the accounts."
        ),
    ),
    "account_disabled": (
        403,
        _l("This account is deactivated"),
        _l("Your account on this site is deactivated. Ask the site administrator if this is a mistake."),
    ),
    "unreachable": (
        502,
        _l("The province's sign-in service cannot be reached"),
        _l(
            "This site could not reach the province's identity provider. Please try again in a few "
            "minutes; administrators can still sign in with their password."
        ),
    ),
}


def _error(code: str, detail: str = "") -> tuple[str, int]:
    """The refusal page: in the visitor's language, with the English text second (a visitor who
    has not signed in yet has not chosen a language)."""
    status, title, message = ERRORS[code]
    current_app.logger.warning("single sign-on refused (%s): %s", code, detail)
    english = None
    if str(get_locale()) != "en":
        with force_locale("en"):
            english = (str(title), str(message))
    page = render_template("sso/error.html", code=code, title=title, message=message, english=english)
    return page, status


def _require_enabled() -> None:
    if not oidc.enabled():
        abort(404)


@bp.route("/sso/login", methods=["POST"])
@access(Access.PUBLIC, reason="starts a sign-in at the province's identity provider")
def start() -> Response | tuple[str, int]:
    _require_enabled()
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    if not StartForm().validate_on_submit():
        abort(400)
    # One sign-in in progress per browser: Authlib keeps each state in the cookie for an hour, and
    # repeated clicks would otherwise grow it past the browsers' 4 KB limit.
    for key in [k for k in session if k.startswith(f"_state_{oidc.NAME}_")]:
        session.pop(key)
    try:
        oidc.metadata()
        response: Response = oidc.client().authorize_redirect(url_for("sso.callback", _external=True))
    except (requests.RequestException, ValueError) as exc:
        return _error("unreachable", repr(exc))
    session[NEXT_KEY] = _safe_next(request.form.get("next")) or ""
    return response


def _verified_token() -> dict[str, Any]:
    """Authlib: state, code exchange (with the PKCE verifier), ID token signature and claims, nonce."""
    token: dict[str, Any] = oidc.client().authorize_access_token(
        leeway=current_app.config["OIDC_CLOCK_SKEW_SECONDS"]
    )
    if "userinfo" not in token:  # no id_token in the answer: not OpenID Connect
        raise ClaimError("id_token")
    return token


def _claims(token: dict[str, Any]) -> services.Claims:
    id_claims = token["userinfo"]
    info = dict(id_claims)
    # Providers that keep the ID token small (oidc-provider, Keycloak by client setting) answer the
    # profile and e-mail at the UserInfo endpoint; its "sub" must be the ID token's (OIDC Core 5.3.2).
    if oidc.metadata().get("userinfo_endpoint"):
        extra = oidc.client().userinfo(token=token)
        if extra.get("sub") != id_claims["sub"]:
            raise ClaimError("sub")
        info.update(extra)
    username_claim = current_app.config["OIDC_USERNAME_CLAIM"]
    return services.Claims(
        issuer=str(id_claims["iss"]),
        subject=str(id_claims["sub"]),
        email=info.get("email") or None,
        email_verified=info.get("email_verified") is True,
        username=info.get(username_claim) or None,
        full_name=info.get("name") or None,
    )


def _token_error(exc: Exception) -> str:
    if isinstance(exc, MismatchingStateError):
        return "state"
    if isinstance(exc, OAuthError):
        return "code" if exc.error == "invalid_grant" else "denied"
    if isinstance(exc, ExpiredTokenError):
        return "expired"
    if isinstance(exc, ClaimError) and exc.claim in {"aud", "azp"}:
        return "audience"
    return "signature"  # bad signature, unknown key, wrong issuer or nonce, malformed token


@bp.route("/sso/callback")
@access(Access.PUBLIC, reason="the identity provider sends the browser back here")
def callback() -> Response | tuple[str, int]:
    _require_enabled()
    try:
        token = _verified_token()
        claims = _claims(token)
    except (requests.RequestException, ValueError) as exc:
        return _error("unreachable", repr(exc))
    except (
        MismatchingStateError,
        OAuthError,
        JoseError,
        InvalidKeyIdError,
        DecodeError,
        BadSignatureError,
    ) as exc:
        return _error(_token_error(exc), repr(exc))

    refused: services.SsoError | None = None
    with write_on_get(db.session):  # the provider answers with a GET (decision 1701)
        try:
            user = services.sign_in(db.session, claims, services.get_settings(db.session))
        except services.SsoError as exc:
            refused = exc
            audit.record(
                db.session,
                "sso_login_failed",
                subject=f"sub:{claims.subject}"[:100],
                reason=exc.code,
                email=claims.email or "",
                username=claims.username or "",
            )
    if refused is not None:
        return _error(refused.code, claims.subject)

    target = session.get(NEXT_KEY) or url_for("learning.dashboard")
    session.clear()  # a new session on login (no fixation)
    login_user(user)
    session["lang"] = user.locale
    session[ID_TOKEN_KEY] = token["id_token"]
    return redirect(target)


def logout_redirect() -> str | None:
    """RP-initiated logout: the provider's end-session URL, when this session came from it."""
    id_token = session.get(ID_TOKEN_KEY)
    if not id_token or not oidc.enabled():
        return None
    try:
        endpoint = oidc.metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        url: str = oidc.client().create_logout_url(
            post_logout_redirect_uri=url_for("auth.login", _external=True),
            id_token_hint=id_token,
            client_id=current_app.config["OIDC_CLIENT_ID"],
        )["url"]
    except (requests.RequestException, ValueError) as exc:  # provider away: log out here only
        current_app.logger.warning("single sign-on logout at the provider skipped: %r", exc)
        return None
    return url


def password_login_refusal(db_session: Any, user: Any) -> str | None:
    if services.password_login_refused(db_session, user, sso_enabled=oidc.enabled()):
        return str(_l("Passwords of this site are switched off: sign in with the province account."))
    return None


def _settings_data(current: Any) -> dict[str, Any]:
    return {
        "link_by_verified_email": current.link_by_verified_email,
        "link_by_username": current.link_by_username,
        "create_accounts": current.create_accounts,
        "holding_unit": current.holding_unit.code if current.holding_unit else "",
        "local_passwords_off": current.local_passwords_off,
    }


@bp.route("/admin/sso", methods=["GET", "POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def settings() -> str | Response:
    current = services.get_settings(db.session)
    form = SettingsForm(db.session, data=_settings_data(current) if request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_settings(
            db.session,
            link_by_verified_email=form.link_by_verified_email.data,
            link_by_username=form.link_by_username.data,
            create_accounts=form.create_accounts.data,
            holding_unit=form.unit,
            local_passwords_off=form.local_passwords_off.data,
            by=current_user,
        )
        db.session.commit()
        flash(_l("Single sign-on rules saved."), "success")
        return redirect(url_for("sso.settings"))
    return _settings_page(form, UnlinkForm(db.session), current)


def _settings_page(form: SettingsForm, unlink_form: UnlinkForm, current: Any) -> str:
    return render_template(
        "sso/settings.html",
        form=form,
        unlink_form=unlink_form,
        enabled=oidc.enabled(),
        config=current_app.config,
        waiting=services.accounts_waiting(db.session, current),
        linked=services.linked_count(db.session),
    )


@bp.route("/admin/sso/unlink", methods=["POST"])
@access(Access.STAFF, Permission.ADMIN_USERS)
def unlink() -> str | Response:
    """Forget an account's province identity (a person got a new one, or was linked by mistake)."""
    form = UnlinkForm(db.session)
    if form.validate_on_submit() and form.user is not None:
        count = services.unlink(db.session, form.user, by=current_user)
        db.session.commit()
        if count:
            flash(
                _l("The province account was unlinked; the next sign-in links again by the rules."), "success"
            )
        else:
            flash(_l("This account is not linked to a province account."), "info")
        return redirect(url_for("sso.settings"))
    current = services.get_settings(db.session)
    return _settings_page(
        SettingsForm(db.session, formdata=None, data=_settings_data(current)), form, current
    )
