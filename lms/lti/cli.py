"""`flask --app wsgi lms lti ...`: rotate the tool's signing keys."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from lms.db import db
from lms.lti import keys

lti_cli = AppGroup("lti", help="LTI 1.3 tool: signing keys.")


@lti_cli.command("rotate-keys")
def rotate_keys() -> None:
    """Make a new signing key; the old one stays in the JWKS for LMS_LTI_KEY_GRACE_HOURS, then is dropped."""
    grace = dt.timedelta(hours=current_app.config["LTI_KEY_GRACE_HOURS"])
    dropped = keys.drop_expired_keys(db.session, grace)
    key = keys.rotate_keys(db.session)
    db.session.commit()
    click.echo(f"new signing key {key.kid}; {dropped} expired key(s) removed")
    click.echo(
        f"published keys: {', '.join(k['kid'] for k in keys.published_jwks(db.session, grace)['keys'])}"
    )
