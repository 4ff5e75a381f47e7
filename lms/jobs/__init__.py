"""Background jobs: huey carries job ids, the database holds the jobs (see docs/architecture.md).

Public API (import from ``lms.jobs``)::

    from lms.jobs import enqueue, job, periodic, PermanentJobError

    @job("feature.thing", max_attempts=5, priority=0)   # register a handler (at import time)
    def thing(ctx, *, some_id: int) -> dict | None:      # ctx.session, ctx.job, ctx.progress(n, total)
        ...                                              # idempotent; raise to retry with back-off

    job_row = enqueue(db.session, "feature.thing", some_id=3, by=current_user, key="thing:3")
    rows = enqueue_many(db.session, "feature.thing", [("thing:4", {"some_id": 4}), ...])  # set-based
    db.session.commit()          # pushed to the queue after the commit; the sweeper covers a failed push

    periodic("feature.thing", minute="*/5", hour="*")    # a job every 5 minutes (UTC), once per slot
    register_label("feature.thing", _l("Thing"))         # its name on the job pages
    register_warmup(load_fonts)                          # run by each consumer before its first job

E-mail: ``lms.jobs.queue_mail(session, to, subject, body, html=…, headers=…, key=…)`` (the built-in
job ``mail.send``; False when SMTP is not configured); ``queue_mails`` for many at once. Job pages:
``url_for("jobs.status", job_id=…)`` shows progress (no JavaScript needed) and the download of a file stored with
``lms.jobs.files.store_file`` to the user who asked for it.
"""

from __future__ import annotations

from flask import Flask

from lms.jobs.builtin import queue_mail, queue_mails
from lms.jobs.core import (
    PermanentJobError,
    enqueue,
    enqueue_many,
    job,
    periodic,
    register_label,
    register_warmup,
    run_queued,
)

__all__ = [
    "PermanentJobError",
    "enqueue",
    "enqueue_many",
    "init_app",
    "job",
    "periodic",
    "queue_mail",
    "queue_mails",
    "register_label",
    "register_warmup",
    "run_queued",
]


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.auth.access import Permission
    from lms.core.audit import register_action
    from lms.core.cli import lms_cli
    from lms.core.nav import register_nav
    from lms.jobs import builtin, cli, core, views  # noqa: F401  (builtin registers its jobs)
    from lms.jobs.queue import JobQueue

    core.listen()
    app.extensions["lms.jobs"] = JobQueue(app)
    app.register_blueprint(views.bp)
    lms_cli.add_command(cli.jobs_cli)
    register_nav(_l("Background jobs"), "jobs.admin_list", Permission.ADMIN_JOBS)
    register_action("job.retry", _l("Job queued again"))
    core.register_label("mail.send", _l("E-mail"))
    core.register_label("jobs.cleanup", _l("Delete expired files"))
