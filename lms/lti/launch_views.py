"""The platform-facing endpoints: OIDC login initiation, launch, the cookie-less hand-off, deep linking.

They are PUBLIC (the platform's signed id_token is the credential) and CSRF-exempt (the platform's
form posts carry no token of ours; state + nonce, checked in ``lms.lti.launch``, do that job).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from lms.auth.access import Access, access
from lms.core.csrf import csrf_exempt
from lms.db import db, utcnow, write_on_get
from lms.lti import launch as lti
from lms.lti.launch import LaunchError
from lms.lti.views import bp

ERRORS: dict[str, Any] = {
    "login_params": _l("The platform's login request lacks iss, login_hint or target_link_uri."),
    "unknown_platform": _l("This platform (issuer / client ID) is not registered with this site."),
    "deployment": _l("This deployment ID is not registered for the platform."),
    "target_link_uri": _l(
        "The launch target (target_link_uri) is not an address of this site or does not match the login request."
    ),
    "missing_token": _l("The launch carries no id_token."),
    "state_unknown": _l("This launch's state is unknown: start the activity again from the platform."),
    "state_expired": _l("This launch took too long: start the activity again from the platform."),
    "nonce_replay": _l(
        "This launch was already used (replayed nonce): start the activity again from the platform."
    ),
    "jwks_unavailable": _l("The platform's public keys could not be fetched: try again later."),
    "malformed": _l("The id_token is not a valid signed token."),
    "signature": _l("The id_token's signature does not match the platform's keys."),
    "iss": _l("The id_token comes from another issuer than the registered platform."),
    "aud": _l("The id_token is not addressed to this tool's client ID (aud / azp)."),
    "exp": _l("The id_token has expired."),
    "iat": _l("The id_token's issue time (iat) is missing or not plausible."),
    "nonce": _l("The id_token's nonce does not match this launch."),
    "sub": _l("The id_token names no user (sub)."),
    "message_type": _l("This LTI message type is not supported."),
    "version": _l("Only LTI version 1.3.0 is supported."),
    "roles": _l("The id_token lacks the roles claim."),
    "resource_link": _l("The id_token lacks the resource link claim."),
    "deep_linking_settings": _l("The deep linking request lacks its settings (deep_link_return_url)."),
    "account_disabled": _l("The account for this platform user is deactivated on this site."),
    "launch_unknown": _l("This launch link is unknown."),
    "launch_expired": _l("This launch link has expired: start the activity again from the platform."),
    "launch_used": _l("This launch link was already used: start the activity again from the platform."),
    "no_item": _l("Choose a course, module or quiz."),
    "registration_unknown": _l(
        "This registration address is unknown: ask the site's administrator for a new one."
    ),
    "registration_used": _l(
        "This registration address was already used: ask the site's administrator for a new one."
    ),
    "registration_expired": _l(
        "This registration address has expired: ask the site's administrator for a new one."
    ),
    "registration_config": _l(
        "The platform's OpenID configuration could not be read or is incomplete (issuer, endpoints)."
    ),
    "registration_refused": _l("The platform refused the registration or did not answer with a client ID."),
}


def error_page(error: LaunchError) -> Response:
    """The same explanation in Vietnamese, then English; a 4xx status (never a 500)."""
    texts = {}
    for lang in ("vi", "en"):
        with force_locale(lang):
            texts[lang] = str(ERRORS.get(error.code, ERRORS["malformed"]))
    current_app.logger.info("LTI launch refused: %s", error)
    db.session.rollback()
    html = render_template("lti/error.html", code=error.code, status=error.status, texts=texts)
    return make_response(html, error.status)


def our_origins() -> tuple[str, ...]:
    """Addresses a target_link_uri may start with: the public URL and the host this request came to."""
    return (current_app.config["PUBLIC_URL"], request.host_url.rstrip("/") + request.script_root)


def _sign_in(user: Any, platform_id: int, origins: list[str] | None = None) -> None:
    """A fresh session for the launched user (as the login form does), marked as an LTI session."""
    session.clear()
    login_user(user)
    session["lti"] = {"platform": platform_id, "origins": origins or []}


def _frame_origins(claims: dict[str, Any]) -> list[str]:
    """Where the platform's page that frames us lives, as its signed launch says (Canvas serves
    courses from the school's own domain, not from its issuer's)."""
    from lms.lti.services import origin_of

    presentation = claims.get(lti.CLAIM + "launch_presentation") or {}
    tool_platform = claims.get(lti.CLAIM + "tool_platform") or {}
    urls = [
        presentation.get("return_url") if isinstance(presentation, dict) else None,
        tool_platform.get("url") if isinstance(tool_platform, dict) else None,
    ]
    return sorted({o for o in (origin_of(str(u)) for u in urls if u) if o})


@bp.route("/lti/login", methods=["GET", "POST"])
@access(Access.PUBLIC, reason="step 1 of an LTI launch: the platform's browser redirect, before any session")
@csrf_exempt("LTI OIDC login initiation is posted by the platform; state + nonce protect the flow")
def login() -> Response:
    params = {k: str(v) for k, v in (request.form if request.method == "POST" else request.args).items()}
    try:
        if request.method == "GET":
            with write_on_get(db.session):
                found = lti.start_login(
                    db.session,
                    params,
                    redirect_uri=url_for("lti.launch", _external=True),
                    our_origins=our_origins(),
                )
        else:
            found = lti.start_login(
                db.session,
                params,
                redirect_uri=url_for("lti.launch", _external=True),
                our_origins=our_origins(),
            )
            db.session.commit()
    except LaunchError as error:
        return error_page(error)
    return redirect(f"{found.url}{'&' if '?' in found.url else '?'}{urlencode(found.params)}", code=302)


def _target_for(v: lti.Validated) -> tuple[lti.Target | None, str]:
    custom = v.claims.get(lti.CLAIM + "custom") or {}
    key = str(custom.get("target") or "") if isinstance(custom, dict) else ""
    if not key:
        uri = str(v.claims.get(lti.CLAIM + "target_link_uri") or v.state.target_link_uri)
        path = urlsplit(uri).path
        if request.script_root and path.startswith(request.script_root):
            path = path[len(request.script_root) :]
        try:
            endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
        except (NotFound, MethodNotAllowed, RequestRedirect):
            endpoint, values = "", {}
        key = lti.target_from_path(db.session, str(endpoint), values)
    return (lti.resolve_target(db.session, key) if key else None), key


@bp.route("/lti/launch", methods=["POST"])
@access(Access.PUBLIC, reason="step 2 of an LTI launch: the platform posts the signed id_token")
@csrf_exempt("LTI launch is posted by the platform; its signed id_token, state and nonce are checked")
def launch() -> Response:
    now = utcnow()
    try:
        v = lti.validate_launch(
            db.session, request.form.get("id_token", ""), request.form.get("state", ""), now=now
        )
        identity = lti.identity_for(db.session, v, now=now)
        if v.message_type == lti.DEEP_LINKING:
            launch_row, token = lti.record_deep_linking(db.session, v, identity, now=now)
            launch_row.data = {**launch_row.data, "origins": _frame_origins(v.claims)}
            db.session.commit()
            return redirect(url_for("lti.deep_link", token=token), code=303)
        target, key = _target_for(v)
        launch_row, token = lti.record_resource_launch(db.session, v, identity, target, key, now=now)
        launch_row.target_url = (
            url_for(target.endpoint, **target.values) if target else url_for("learning.dashboard")
        )
        user = identity.user
        db.session.commit()
    except LaunchError as error:
        return error_page(error)
    _sign_in(user, v.platform.id, _frame_origins(v.claims))
    return redirect(url_for("lti.enter", token=token), code=303)


@bp.route("/lti/enter/<token>")
@access(
    Access.PUBLIC,
    reason="after a launch: goes on to the target, or offers a new window when the iframe has no cookie",
)
def enter(token: str) -> str | Response:
    try:
        launch_row = lti.launch_by_token(db.session, token, "resource")
    except LaunchError as error:
        return error_page(error)
    if current_user.is_authenticated and current_user.id == launch_row.identity.user_id:
        return redirect(launch_row.target_url)
    # The launch set our cookie but the browser did not send it back: third-party cookies are
    # blocked in the platform's iframe. A new window is first-party: it continues with the token.
    return render_template(
        "lti/new_window.html", token=token, title=launch_row.link.title if launch_row.link else ""
    )


@bp.route("/lti/enter", methods=["POST"])
@access(
    Access.PUBLIC,
    reason="the new-window hand-off of a launch whose iframe had no cookie; the token is the credential",
)
@csrf_exempt("authorised by the one-time launch token in the form; the missing cookie is why this exists")
def enter_new_window() -> Response:
    try:
        launch_row = lti.launch_by_token(db.session, request.form.get("token", ""), "resource")
        if launch_row.used_at is not None:
            raise LaunchError("launch_used", 403)
        launch_row.used_at = utcnow()
        user = launch_row.identity.user
        platform_id = launch_row.platform_id
        target = launch_row.target_url
        db.session.commit()
    except LaunchError as error:
        return error_page(error)
    _sign_in(user, platform_id)
    return redirect(target, code=303)


def _deep_link_launch(token: str) -> Any:
    launch_row = lti.launch_by_token(db.session, token, "deep_linking")
    if launch_row.used_at is not None:
        raise LaunchError("launch_used", 403)
    return launch_row


@bp.route("/lti/deep-link/<token>")
@access(
    Access.PUBLIC,
    reason="a platform teacher's deep-linking picker; the launch token in the URL is the credential",
)
def deep_link(token: str) -> str | Response:
    from lms.lti import deeplink

    try:
        launch_row = _deep_link_launch(token)
    except LaunchError as error:
        return error_page(error)
    return render_template(
        "lti/deep_link.html",
        entries=deeplink.catalogue(db.session),
        token=token,
        launch=launch_row,
        error=None,
    )


@bp.route("/lti/deep-link/<token>", methods=["POST"])
@access(
    Access.PUBLIC,
    reason="returns the teacher's choice to the platform; the launch token in the URL is the credential",
)
@csrf_exempt("authorised by the deep-linking launch token (from the platform's signed request), not a cookie")
def deep_link_choose(token: str) -> str | Response:
    from lms.lti import deeplink

    try:
        launch_row = _deep_link_launch(token)
    except LaunchError as error:
        return error_page(error)
    key = request.form.get("item", "")
    target = lti.resolve_target(db.session, key) if key else None
    if target is None:
        html = render_template(
            "lti/deep_link.html",
            entries=deeplink.catalogue(db.session),
            token=token,
            launch=launch_row,
            error=_("Choose a course, module or quiz."),
        )
        response = make_response(html, 400)
        response.headers["Content-Security-Policy"] = _csp(extra=launch_row.data.get("origins", []))
        return response
    url = url_for(target.endpoint, **target.values, _external=True)
    jwt_value = deeplink.response_jwt(db.session, launch_row, [deeplink.content_item(target, key, url)])
    launch_row.used_at = utcnow()
    return_url = str(launch_row.data["settings"]["deep_link_return_url"])
    db.session.commit()
    response = make_response(
        render_template("lti/deep_link_return.html", return_url=return_url, jwt=jwt_value, label=target.label)
    )
    response.headers["Content-Security-Policy"] = _csp(
        form_to=return_url, extra=launch_row.data.get("origins", [])
    )
    return response


def _csp(*, form_to: str = "", extra: list[str] | None = None) -> str:
    """The site's CSP with frame-ancestors widened to registered platforms (and the origins their
    signed launches named), and form-action to the deep-linking return URL's origin."""
    from lms.core.web import CSP
    from lms.lti.services import origin_of, platform_origins

    origins = {*platform_origins(db.session), *(o for o in map(origin_of, extra or []) if o)}
    ancestors = " ".join(["'self'", *sorted(origins)])
    csp = CSP.replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}")
    if form_to:
        csp = csp.replace("form-action 'self'", f"form-action 'self' {origin_of(form_to)}")
    return csp


# --- dynamic registration ----------------------------------------------------------------------


def _tool_urls() -> Any:
    from lms.lti.registration import ToolUrls

    return ToolUrls(
        login=url_for("lti.login", _external=True),
        launch=url_for("lti.launch", _external=True),
        jwks=url_for("lti.jwks", _external=True),
        name=f"{current_app.config['ORG_NAME']} · Học trực tuyến",
    )


@bp.route("/lti/register/<token>")
@access(
    Access.PUBLIC,
    reason="a platform admin's LTI dynamic registration; the one-time URL token is the credential",
)
def register(token: str) -> str | Response:
    from lms.lti import registration

    conf_url = request.args.get("openid_configuration", "")
    try:
        registration.token_row(db.session, token)
        if not conf_url:
            raise LaunchError("registration_config")
        conf = registration.read_configuration(conf_url)
    except LaunchError as error:
        return error_page(error)
    return render_template(
        "lti/register.html",
        token=token,
        conf=conf,
        conf_url=conf_url,
        registration_token=request.args.get("registration_token", ""),
    )


@bp.route("/lti/register/<token>", methods=["POST"])
@access(
    Access.PUBLIC, reason="completes an LTI dynamic registration; the one-time URL token is the credential"
)
@csrf_exempt(
    "authorised by the one-time registration URL an admin created; opened by the platform, no session"
)
def register_confirm(token: str) -> str | Response:
    from lms.lti import registration

    try:
        row = registration.token_row(db.session, token)
        platform = registration.register(
            db.session,
            row,
            request.form.get("openid_configuration", ""),
            request.form.get("registration_token", ""),
            _tool_urls(),
        )
        db.session.commit()
    except LaunchError as error:
        return error_page(error)
    return render_template("lti/registered.html", platform=platform)
