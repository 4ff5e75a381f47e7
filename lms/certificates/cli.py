"""`flask --app wsgi lms certificates …`: dev keys, batch issue/render, reminders.

Batch rendering uses one process per core. Each worker renders, signs and
commits one certificate at a time (a conditional UPDATE stores the PDF only if
none is stored yet), so an interrupted run leaves only complete files and a
second run continues where the first stopped.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from lms.catalog.models import Course
from lms.certificates import services
from lms.certificates.models import Certificate
from lms.db import db
from lms.learning.models import Enrollment
from lms.org.models import OrgUnit

certificates_cli = AppGroup("certificates", help="Certificates: signing keys, batch issue and render.")


@certificates_cli.command("dev-keys")
@click.option("--force", is_flag=True, help="Replace existing keys.")
def dev_keys(force: bool) -> None:
    """Make a self-signed CA and a signing certificate under instance/signing/ (demo/tests only)."""
    from lms.certificates.signing import dev_key_dir, make_dev_keys

    directory = dev_key_dir()
    existed = (directory / "signing.p12").exists()
    path = make_dev_keys(
        directory,
        org_name=current_app.config["ORG_NAME"],
        issuer_name=current_app.config["ISSUER_NAME"],
        force=force,
    )
    click.echo(f"{'kept' if existed and not force else 'created'} {path} (CA: {directory / 'ca.pem'})")


@certificates_cli.command("issue")
@click.option("--course", "slug", required=True, help="Course slug.")
@click.option("--unit", "unit_code", default=None, help="Only people of this unit's subtree.")
@click.option(
    "--workers", type=int, default=None, help="Render here with N processes instead of queuing jobs."
)
@click.option("--wait/--no-wait", default=True, help="With jobs: show progress until the consumers are done.")
def issue_cmd(slug: str, unit_code: str | None, workers: int | None, wait: bool) -> None:
    """Issue certificates for every completed enrolment of a course, then render them (as jobs)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.UsageError(f"no course {slug!r}")
    stmt = (
        select(Enrollment)
        .where(Enrollment.course_id == course.id, Enrollment.completed_at.is_not(None))
        .order_by(Enrollment.id)
    )
    if unit_code:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
        if unit is None:
            raise click.UsageError(f"no unit {unit_code!r}")
        from lms.auth.models import User

        stmt = stmt.join(User, User.id == Enrollment.user_id).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        stmt = stmt.where(OrgUnit.within(unit))
    enrollments = db.session.scalars(stmt).all()
    created = 0
    with click.progressbar(length=len(enrollments), label="Issuing") as bar:
        for start in range(0, len(enrollments), 200):  # set-based, committed every 200
            part = enrollments[start : start + 200]
            created += len(services.issue_certificates(db.session, part))
            db.session.commit()
            bar.update(len(part))
    click.echo(f"{created} issued, {len(enrollments) - created} already had one")
    ids = list(
        db.session.scalars(
            select(Certificate.id)
            .where(Certificate.course_id == course.id, Certificate.pdf_sha256.is_(None))
            .order_by(Certificate.id)
        )
    )
    _render_or_queue(ids, workers, wait)


@certificates_cli.command("render-missing")
@click.option(
    "--workers", type=int, default=None, help="Render here with N processes instead of queuing jobs."
)
@click.option("--wait/--no-wait", default=True, help="With jobs: show progress until the consumers are done.")
def render_missing(workers: int | None, wait: bool) -> None:
    """Render and sign every certificate that has no PDF yet (resumable)."""
    ids = list(
        db.session.scalars(
            select(Certificate.id).where(Certificate.pdf_sha256.is_(None)).order_by(Certificate.id)
        )
    )
    _render_or_queue(ids, workers, wait)


def _render_or_queue(ids: list[int], workers: int | None, wait: bool) -> None:
    if workers:
        _render_ids(ids, workers)
    else:
        queue_renders(ids, wait=wait)


def queue_renders(ids: list[int], *, wait: bool = True, poll: float | None = None) -> None:
    """Queue one render job per certificate for the consumers; optionally wait with a progress bar."""
    import time

    from lms.certificates.jobs import RENDER, render_key
    from lms.certificates.signing import signing_available
    from lms.jobs import enqueue_many
    from lms.jobs.models import Job, JobStatus

    if not ids:
        click.echo("nothing to render")
        return
    if not signing_available():
        raise click.ClickException("no signing key: set LMS_SIGNING_P12 or run `lms certificates dev-keys`")
    for start in range(0, len(ids), 500):  # set-based, committed every 500
        part = ids[start : start + 500]
        enqueue_many(db.session, RENDER, [(render_key(i), {"certificate_id": i}) for i in part])
        db.session.commit()
    backend = current_app.extensions["lms.jobs"].backend
    click.echo(f"{len(ids)} render jobs queued ({backend}); consumers: `flask --app wsgi lms jobs consumer`")
    if not wait:
        return
    keys = [render_key(i) for i in ids]
    # Each poll looks up every job by key: for a province's batch, poll less often (the consumers
    # share the same cores; 10,592 keys every 0.5 s would take a noticeable slice of one).
    poll = poll if poll is not None else min(5.0, max(0.5, len(ids) / 2000))

    def finished() -> tuple[int, int]:
        done = failed = 0
        for start in range(0, len(keys), 900):
            part = keys[start : start + 900]
            rows = db.session.execute(
                select(Job.status, func.count())
                .where(Job.kind == RENDER, Job.key.in_(part))
                .group_by(Job.status)
            ).tuples()
            counts: dict[str, int] = dict(rows.all())
            done += counts.get(JobStatus.DONE, 0)
            failed += counts.get(JobStatus.FAILED, 0)
        db.session.commit()
        return done, failed

    started = time.monotonic()
    hinted = False
    with click.progressbar(length=len(ids), label="Rendering (jobs)") as bar:
        seen = 0
        while True:
            done, failed = finished()
            bar.update(done + failed - seen)
            seen = done + failed
            if seen >= len(ids):
                break
            if not seen and not hinted and time.monotonic() - started > 15:
                hinted = True  # nothing taken in 15 s: most likely no consumer runs
                click.echo(
                    "\nno job finished yet: is a consumer running? `flask --app wsgi lms jobs consumer` "
                    "(or Ctrl-C and use --no-wait / --workers N)",
                    err=True,
                )
            time.sleep(poll)
    click.echo(f"{done} rendered, {failed} failed")
    if failed:
        raise SystemExit(1)


def _render_ids(ids: list[int], workers: int | None) -> None:
    from lms.certificates.signing import signing_available

    if not ids:
        click.echo("nothing to render")
        return
    if not signing_available():
        raise click.ClickException("no signing key: set LMS_SIGNING_P12 or run `lms certificates dev-keys`")
    workers = workers or os.cpu_count() or 1
    # End our transaction: on SQLite the CLI's BEGIN IMMEDIATE would hold the write lock.
    db.session.commit()
    done = failed = 0
    if workers <= 1:
        with click.progressbar(ids, label="Rendering") as bar:
            for cert_id in bar:
                ok = _render_one_here(cert_id)
                done += ok is True
                failed += ok is None
    else:
        settings = _worker_settings()
        with (
            ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings,)) as pool,
            click.progressbar(length=len(ids), label=f"Rendering ({workers} processes)") as bar,
        ):
            futures = [pool.submit(_render_in_worker, cert_id) for cert_id in ids]
            for future in as_completed(futures):
                ok = future.result()
                done += ok is True
                failed += ok is None
                bar.update(1)
    click.echo(f"{done} rendered, {len(ids) - done - failed} already done, {failed} failed")
    if failed:
        raise SystemExit(1)


def _render_one_here(cert_id: int) -> bool | None:
    """Render one certificate in this process and commit; None on failure."""
    try:
        cert = db.session.get(Certificate, cert_id)
        if cert is None:
            return False
        ok = services.render_certificate(db.session, cert)
        db.session.commit()
        return ok
    except Exception as exc:  # report and go on; a later run retries this one
        db.session.rollback()
        click.echo(f"\ncertificate {cert_id}: {exc}", err=True)
        return None


def _worker_settings() -> dict[str, Any]:
    keys = ("SQLALCHEMY_DATABASE_URL", "INSTANCE_PATH", "PUBLIC_URL", "URL_PREFIX", "ORG_NAME",
            "ISSUER_NAME", "SIGNING_P12", "SIGNING_P12_PASSPHRASE", "SIGNING_TRUST_ROOTS")  # fmt: skip
    return {
        "env": current_app.config.get("ENV_NAME", "development"),
        **{k: current_app.config[k] for k in keys},
    }


_worker_app: Any = None


def _init_worker(settings: dict[str, Any]) -> None:
    global _worker_app
    from lms import create_app

    env = settings.pop("env")
    _worker_app = create_app(env, **settings)
    _worker_app.app_context().push()


def _render_in_worker(cert_id: int) -> bool | None:
    return _render_one_here(cert_id)


@certificates_cli.command("remind-expiring")
@click.option("--days", type=int, default=30, show_default=True, help="Remind about expiry within N days.")
def remind_expiring(days: int) -> None:
    """E-mail holders whose certificate expires soon (only when SMTP is configured; once each)."""
    from lms.certificates.reminders import send_expiry_reminders

    if not current_app.config.get("SMTP_HOST"):
        click.echo("SMTP is not configured (LMS_SMTP_HOST); no e-mail sent")
        return
    sent = send_expiry_reminders(db.session, days=days)
    db.session.commit()
    click.echo(f"{sent} reminders sent")
