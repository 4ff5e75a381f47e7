"""The final write of a large people/unit import, as a background job."""

from __future__ import annotations

from typing import Any

from lms.auth.models import User
from lms.jobs import PermanentJobError, job
from lms.training.models import ImportJob, ImportStatus

COMMIT_IMPORT = "training.import_commit"


def import_key(import_id: int) -> str:
    return f"import-commit:{import_id}"


@job(COMMIT_IMPORT, max_attempts=3)
def commit_import_job(ctx: Any, *, import_id: int, by_id: int) -> dict[str, Any]:
    """Write every staged row in one transaction; a second run finds the import done and stops."""
    from lms.training.importer import commit_import

    imp = ctx.session.get(ImportJob, import_id)
    by = ctx.session.get(User, by_id)
    if imp is None or by is None:
        raise PermanentJobError(f"import {import_id} or its officer is gone")
    if imp.status == ImportStatus.DONE:
        return dict(imp.summary or {})
    ctx.progress(0, imp.total_rows)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % 2000 < n:
            ctx.progress(done, imp.total_rows)

    return dict(commit_import(ctx.session, imp, by=by, progress=progress))
