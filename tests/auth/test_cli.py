from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import User
from lms.auth.services import authenticate


def test_create_admin_command(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["lms", "create-admin", "--username", "bantin", "--password", "mat-khau-dai-2026"],
    )
    assert result.exit_code == 0, result.output
    user = session.scalars(select(User).where(User.username == "bantin")).one()
    assert user.has_role("admin")
    assert authenticate(session, "bantin", "mat-khau-dai-2026") is not None
    short = runner.invoke(args=["lms", "create-admin", "--username", "x", "--password", "short"])
    assert short.exit_code != 0
