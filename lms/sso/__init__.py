"""Single sign-on with the province's OpenID Provider (authorization code + PKCE, Authlib)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.auth.access import Permission
    from lms.auth.hooks import LOGOUT_REDIRECTS, PASSWORD_LOGIN_CHECKS
    from lms.core.audit import register_action
    from lms.core.nav import register_nav
    from lms.sso import client, views

    app.register_blueprint(views.bp)
    PASSWORD_LOGIN_CHECKS.add(views.password_login_refusal, "sso")
    LOGOUT_REDIRECTS.add(views.logout_redirect, "sso")
    register_nav(_l("Single sign-on"), "sso.settings", Permission.ADMIN_USERS)
    register_action("sso_login", _l("Signed in with the province account"))
    register_action("sso_linked", _l("Province account linked"))
    register_action("sso_unlinked", _l("Province account unlinked"))
    register_action("sso_login_failed", _l("Province sign-in refused"))
    register_action("sso_settings_changed", _l("Single sign-on rules changed"))
    register_action("login_refused", _l("Password sign-in refused (passwords off)"))

    from flask import Response

    from lms.core.web import CSP

    @app.after_request
    def _allow_provider_in_form_action(response: Response) -> Response:
        # Runs before lms.core's security headers (after_request runs in reverse order), which keep it.
        if client.enabled() and "Content-Security-Policy" not in response.headers:
            origins = " ".join(client.form_origins())
            response.headers["Content-Security-Policy"] = CSP.replace(
                "form-action 'self'", f"form-action 'self' {origins}"
            )
        return response

    @app.context_processor
    def _sso() -> dict[str, object]:
        return {"sso_login_enabled": client.enabled}
