"""Issue 14, item 8: a command on a database that was never migrated says how to migrate it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms import create_app


@pytest.fixture
def empty_app(tmp_path: Path):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        INSTANCE_PATH=str(tmp_path),
    )
    yield app
    app.extensions["lms.db"].engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ["lms", "certificates", "render-missing"],
        ["lms", "courses", "import", "--dry-run", "courses/_example/vi-du"],
        ["lms", "demo-data"],
    ],
)
def test_command_on_an_unmigrated_database_names_the_upgrade_command(empty_app, args) -> None:
    result = empty_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an SQL error escaping
    assert "flask --app wsgi lms db upgrade" in result.output
    assert "Traceback" not in result.output
    assert "sqlite3" not in result.output


def test_after_upgrade_the_command_runs(empty_app) -> None:
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["lms", "db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["lms", "certificates", "render-missing"])
    assert result.exit_code == 0, result.output
