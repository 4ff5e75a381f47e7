"""Certificates: issuing, signed PDFs with QR codes, public verification, HR tools."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.core.nav import register_nav
from lms.core.permissions import Permission


def init_app(app: Flask) -> None:
    from lms.certificates import cli, hooks, views
    from lms.core.cli import lms_cli

    lms_cli.add_command(cli.certificates_cli)

    app.register_blueprint(views.bp)
    from lms.core.access import Access, declare_access

    declare_access(
        Access.PUBLIC,
        "certificates.verify",
        "certificates.verify_start",
        "certificates.verify_upload",
        "certificates.api_certificate",
        reason="anyone a certificate is shown to checks it (rate-limited per IP, every lookup audited)",
    )
    declare_access(Access.SIGNED_IN, "certificates.mine")
    declare_access(Access.OWNER, "certificates.download")
    declare_access(
        Access.STAFF,
        "certificates.index",
        "certificates.detail",
        "certificates.revoke",
        "certificates.reissue",
        "certificates.issue",
        "certificates.export_zip",
        "certificates.bulk_verify",
        "certificates.expiring",
    )
    hooks.connect()
    app.jinja_env.globals["earned_certificate"] = hooks.earned_certificate
    register_nav(_l("My certificates"), "certificates.mine", Permission.LEARN)
    register_nav(_l("Certificates"), "certificates.index", Permission.MANAGE_CERTIFICATES)
    register_nav(_l("Issue a certificate"), "certificates.issue", Permission.ISSUE_CERTIFICATES)
