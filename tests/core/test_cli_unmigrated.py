"""Issue 14, item 8: a command on a database that was never migrated says how to migrate it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HINT = "flask --app wsgi lms db upgrade"


def flask(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `flask --app wsgi lms ...` on an empty SQLite file (as an operator would run it)."""
    env = {
        **os.environ,
        "LMS_ENV": "development",
        "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}",
        "LMS_INSTANCE_PATH": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("demo-data",),
        ("certificates", "render-missing"),
    ],
)
def test_command_on_an_unmigrated_database_names_the_upgrade_command(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = flask(tmp_path, *args)
    assert result.returncode == 1
    assert HINT in result.stderr
    assert "Traceback" not in result.stderr
    assert "sqlite3" not in result.stderr


def test_after_upgrade_the_command_runs(tmp_path: Path) -> None:
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    result = flask(tmp_path, "certificates", "render-missing")
    assert result.returncode == 0, result.stderr
