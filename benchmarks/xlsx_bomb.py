"""Peak memory of the people import when several XLSX "zip bombs" arrive at once (issue 14, item 3).

The black-box test's file: ~200 KB that inflate to a 200 MB sheet (one enormous cell). This script
starts N worker processes at the same time, each importing that file through the same code as the web
upload and `lms people import` (``lms.training.importer.start_import``) on its own SQLite database, and
reads each process's peak RSS from the kernel (``wait4``). For scale it also measures:

* the same worker importing an honest 2-row XLSX (the cost of the app itself), and
* one process reading the bomb the old way (openpyxl, read-only), as before the fix.

Usage: ``.venv/bin/python benchmarks/xlsx_bomb.py [--workers 4] [--sheet-mb 200] [--skip-old]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import io, sys
from pathlib import Path
from lms import create_app
from lms.core.migrate import alembic_config
from alembic import command
tmp = Path(sys.argv[1]); path = Path(sys.argv[2])
url = f"sqlite:///{tmp / 'db.sqlite3'}"
app = create_app("testing", SQLALCHEMY_DATABASE_URL=url, INSTANCE_PATH=str(tmp))
with app.app_context():
    command.upgrade(alembic_config(url), "head")
    from lms.auth.models import Role
    from lms.auth.services import create_user
    from lms.db import db
    from lms.training import importer
    admin = create_user(db.session, username="admin", full_name="Admin", by=None, roles={Role.ADMIN})
    with path.open("rb") as upload:
        job = importer.start_import(db.session, kind="people", filename=path.name, upload=upload,
                                    directory=tmp / "imports", by=admin, scope=None)
    db.session.commit()
    print(job.status, job.error_count)
"""

OLD = r"""
import sys
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1], read_only=True, data_only=True)
n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
print("rows", n)
"""


def run_parallel(args_list: list[list[str]]) -> list[tuple[float, str]]:
    """Start every process at once; (peak RSS in MB, stdout) of each, from wait4."""
    procs = [
        subprocess.Popen(a, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for a in args_list
    ]
    results: dict[int, float] = {}
    while len(results) < len(procs):
        pid, _status, usage = os.wait4(-1, 0)
        results[pid] = usage.ru_maxrss / 1024  # KiB on Linux
    out = []
    for p in procs:
        text = p.stdout.read().decode(errors="replace").strip().splitlines() if p.stdout else []
        out.append((results[p.pid], text[-1] if text else ""))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sheet-mb", type=int, default=200)
    parser.add_argument("--skip-old", action="store_true", help="do not run the openpyxl comparison")
    opts = parser.parse_args()

    from tests.training.xlsx_files import xlsx_bomb, xlsx_long_cell

    with tempfile.TemporaryDirectory(prefix="lms-bomb-") as tmpdir:
        tmp = Path(tmpdir)
        bomb = tmp / "bomb.xlsx"
        with bomb.open("wb") as f:
            xlsx_bomb(f, sheet_mb=opts.sheet_mb)
        honest = tmp / "honest.xlsx"
        honest.write_bytes(xlsx_long_cell("X", chars=20))
        print(f"bomb: {bomb.stat().st_size / 1024:.0f} KB on disk, {opts.sheet_mb} MB of sheet XML")

        def worker(i: int, path: Path) -> list[str]:
            d = tmp / f"w{i}"
            d.mkdir()
            return [sys.executable, "-c", CHILD, str(d), str(path)]

        base = run_parallel([worker(100, honest)])[0]
        print(f"one worker, honest 2-row XLSX: peak RSS {base[0]:.0f} MB ({base[1]})")
        t0 = time.perf_counter()
        bombs = run_parallel([worker(i, bomb) for i in range(opts.workers)])
        took = time.perf_counter() - t0
        peaks = [p for p, _ in bombs]
        print(
            f"{opts.workers} workers, bomb at once: peak RSS per worker max {max(peaks):.0f} MB, "
            f"min {min(peaks):.0f} MB; all {sum(peaks):.0f} MB together ({took:.1f} s); results: "
            + ", ".join(sorted({r for _, r in bombs}))
        )
        print(f"ratio bomb worker / honest worker: {max(peaks) / base[0]:.2f}")
        if not opts.skip_old:
            old = run_parallel([[sys.executable, "-c", OLD, str(bomb)]])[0]
            print(f"before the fix (openpyxl, one process): peak RSS {old[0]:.0f} MB ({old[1]})")
            print(f"ratio old / new per worker: {old[0] / max(peaks):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
