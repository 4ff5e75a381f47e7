"""`flask --app wsgi lms jobs …`: run a consumer, run waiting jobs here, sweep, list, retry."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms.db import db
from lms.jobs import core
from lms.jobs.models import Job, JobStatus

jobs_cli = AppGroup("jobs", help="Background jobs (huey): consumer, sweeper, failed jobs.")


@jobs_cli.command("consumer")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker threads in this process.")
@click.option(
    "--no-periodic", is_flag=True, help="Do not run the once-a-minute tick (sweeper, periodic jobs)."
)
def consumer_cmd(workers: int, no_periodic: bool) -> None:
    """Run a consumer until Ctrl-C (SIGINT: finish the current job) or SIGTERM (stop now)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue = current_app.extensions["lms.jobs"]
    counts = core.sweep(db.session)  # jobs of a consumer that died on this host run again at once
    db.session.commit()
    warm = core.warm_up()  # fonts, stylesheets, signing key: loaded before the first job, not during it
    db.session.rollback()
    db.registry.remove()  # no transaction of the CLI's own held while consuming
    if any(counts.values()):
        click.echo(f"sweeper: {counts}", err=True)
    click.echo(f"consumer: {queue.backend} queue, {workers} worker(s), warmed up in {warm:.1f} s", err=True)
    queue.consumer(workers=workers, periodic=not no_periodic).run()


@jobs_cli.command("run")
@click.option("--kind", "kinds", multiple=True, help="Only jobs of this kind (repeatable).")
def run_cmd(kinds: tuple[str, ...]) -> None:
    """Run every waiting job in this process (no consumer needed), then exit."""
    db.session.commit()
    ran = core.run_queued(db.session, kinds=kinds or None)
    click.echo(f"{ran} jobs run")


@jobs_cli.command("sweep")
def sweep_cmd() -> None:
    """Push again jobs the queue lost and release jobs of dead consumers."""
    counts = core.sweep(db.session)
    db.session.commit()
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@jobs_cli.command("list")
def list_cmd() -> None:
    """Jobs per status, and the last failed ones with their error."""
    for status, n in db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all():
        click.echo(f"{status}: {n}")
    for row in db.session.scalars(
        select(Job).where(Job.status == JobStatus.FAILED).order_by(Job.id.desc()).limit(20)
    ):
        last = (row.error or "").strip().splitlines()[-1:] or [""]
        click.echo(f"#{row.id} {row.kind} attempts={row.attempts}: {last[0]}")


@jobs_cli.command("retry")
@click.argument("job_ids", type=int, nargs=-1, required=True)
def retry_cmd(job_ids: tuple[int, ...]) -> None:
    """Queue failed jobs again."""
    for job_id in job_ids:
        row = db.session.get(Job, job_id)
        if row is None:
            raise click.UsageError(f"no job {job_id}")
        core.retry(db.session, row)
    db.session.commit()
    click.echo(f"{len(job_ids)} queued")
