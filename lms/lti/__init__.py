"""LTI 1.3 Advantage tool: platforms (Moodle, Canvas, Open edX) launch our courses (decisions 1801–1807)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request, session
from flask.sessions import SecureCookieSessionInterface


class LtiSessionInterface(SecureCookieSessionInterface):
    """A session that came in through an LTI launch lives in the platform's iframe: on HTTPS its
    cookie is ``SameSite=None; Secure; Partitioned`` so the browser sends it inside the frame.
    Every other session keeps the site's ``Lax`` cookie (decision 1804)."""

    def _framed(self) -> bool:
        return bool(session.get("lti")) and request.is_secure

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if self._framed() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if self._framed() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return True if self._framed() else super().get_cookie_partitioned(app)


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.auth.access import Permission
    from lms.core.audit import register_action
    from lms.core.cli import lms_cli
    from lms.core.nav import register_nav
    from lms.jobs import periodic, register_label
    from lms.learning.completion import enrollments_completed
    from lms.lti import ags, cli, launch_views, views
    from lms.quizzes.attempts import attempt_graded

    app.config.setdefault("LTI_KEY_GRACE_HOURS", 72)
    app.register_blueprint(views.bp)
    app.session_interface = LtiSessionInterface()
    lms_cli.add_command(cli.lti_cli)
    register_nav(_l("LTI platforms"), "lti.index", Permission.ADMIN_LTI)
    register_action("lti.platform_created", _l("LTI platform registered"))
    register_action("lti.platform_updated", _l("LTI platform changed"))
    register_action("lti.identity_linked", _l("LTI user linked to a local account"))
    register_action("lti.registration_url_created", _l("LTI dynamic registration URL made"))
    register_action("lti.roster_enrolled", _l("LTI course members enrolled"))
    register_label("lti.send_score", _l("Send a score to an LTI platform"))
    register_label("lti.cleanup", _l("Delete expired LTI launch data"))
    periodic("lti.cleanup", minute="41", hour="3")
    attempt_graded.connect(ags.on_attempt_graded)
    enrollments_completed.connect(ags.on_enrollments_completed)

    @app.after_request
    def _frame_ancestors(response: Response) -> Any:
        """LTI pages may be framed by registered platforms; every other page only by ourselves."""
        if request.endpoint == "static":
            return response
        framed = session.get("lti") or (
            (request.endpoint or "").startswith("lti.") and request.path.startswith("/lti/")
        )
        if framed and "Content-Security-Policy" not in response.headers:
            lti = session.get("lti")
            extra = lti.get("origins", []) if isinstance(lti, dict) else []
            response.headers["Content-Security-Policy"] = launch_views._csp(extra=extra)
        return response
