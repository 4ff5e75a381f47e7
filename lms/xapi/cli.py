"""`flask --app wsgi lms xapi …`: replay history to the LRS, send now, show the backlog."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from lms.db import db

xapi_cli = AppGroup("xapi", help="xAPI statements to the Learning Record Store.")


@xapi_cli.command("replay")
@click.option("--since", required=True, help="YYYY-MM-DD: events on or after this day (UTC).")
def replay_cmd(since: str) -> None:
    """Regenerate the statements of past events (same ids: nothing is duplicated) and queue them."""
    from lms.xapi import services

    try:
        day = dt.date.fromisoformat(since)
    except ValueError as exc:
        raise click.BadParameter(
            "Ngày không hợp lệ, cần YYYY-MM-DD / not a date, use YYYY-MM-DD", param_hint="--since"
        ) from exc
    if not services.enabled():
        raise click.ClickException("Chưa cấu hình LMS_XAPI_ENDPOINT / LMS_XAPI_ENDPOINT is not set")
    counts = services.replay(db.session, dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))
    db.session.commit()
    for name, n in counts.items():
        click.echo(f"{name}: {n}")
    click.echo(f"total: {sum(counts.values())} (queued for the LRS)")


@xapi_cli.command("status")
def status_cmd() -> None:
    """Statements waiting, sent and refused."""
    from lms.xapi import services

    b = services.backlog(db.session)
    click.echo(f"pending: {b.pending} (failing: {b.failing})  sent: {b.sent}  rejected: {b.rejected}")
    if b.last_error:
        click.echo(f"last error: {b.last_error[:300]}")


@xapi_cli.command("send")
def send_cmd() -> None:
    """Send the waiting statements now, in this process."""
    from lms.jobs.core import run_queued
    from lms.xapi import services

    services.trigger_send(db.session)
    db.session.commit()
    run_queued(db.session, kinds=[services.SEND])
    status_cmd.callback()  # type: ignore[misc]
