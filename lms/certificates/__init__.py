"""Certificates: issuing, signed PDFs with QR codes, public verification, HR tools."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.auth.access import Permission
from lms.core.nav import register_nav


def init_app(app: Flask) -> None:
    from lms.certificates import badge_views, cli, hooks, jobs, views
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.certificates_cli)

    app.register_blueprint(views.bp)
    app.register_blueprint(badge_views.bp)
    app.jinja_env.globals["badge_ready_ids"] = badge_views.badge_ready_ids

    hooks.connect()
    from lms.jobs import register_label, register_warmup

    register_label(jobs.RENDER, _l("Render and sign a certificate"))
    register_label(jobs.BADGE, _l("Sign a certificate's Open Badge"))
    from lms.certificates.pdf import warm_up

    register_warmup(warm_up)
    register_label(jobs.ZIP, _l("Certificate ZIP file"))
    register_label("certificates.render_missing", _l("Queue certificates without a PDF"))
    register_label("certificates.remind_expiring", _l("Expiring-certificate reminders"))
    app.jinja_env.globals["earned_certificate"] = hooks.earned_certificate
    register_nav(_l("My certificates"), "certificates.mine", Permission.LEARN)
    register_nav(_l("Certificates"), "certificates.index", Permission.MANAGE_CERTIFICATES)
    register_nav(_l("Issue a certificate"), "certificates.issue", Permission.ISSUE_CERTIFICATES)
    from lms.core.audit import register_action

    register_action("certificate.issue", _l("Certificate issued"))
    register_action("certificate.lookup", _l("Certificate looked up"))
    register_action("certificate.reissue", _l("Certificate reissued"))
    register_action("certificate.revoke", _l("Certificate revoked"))
    register_action("certificate.zip", _l("Certificates downloaded as ZIP"))
