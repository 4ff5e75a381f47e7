"""HR API (/api/v1) for the province's personnel system, with service-account tokens (decisions 1711–1719)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask import Response, request
    from flask_babel import lazy_gettext as _l

    from lms.api import admin_views, bearer, views
    from lms.auth.access import BEARER_CHECKS, Permission
    from lms.core.audit import register_action
    from lms.core.nav import register_nav

    app.config.setdefault("API_RATE_LIMIT", "300 per minute")
    BEARER_CHECKS.add(bearer.check_bearer, "api")
    del admin_views  # imported for its routes on the api blueprint
    app.register_blueprint(views.bp)

    @app.after_request
    def _docs_csp(response: Response) -> Response:
        """Swagger UI sets inline styles; its page holds no data, so it alone allows them."""
        if request.endpoint == "api.docs_try":
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
            )
        return response

    register_nav(_l("API tokens"), "api.tokens", Permission.ADMIN_API)
    register_action("api.token_created", _l("API token created"))
    register_action("api.token_revoked", _l("API token revoked"))
    register_action("api.call", _l("API call by a service account"))
    register_action("api.refused", _l("API call refused (token lacks the scope)"))
