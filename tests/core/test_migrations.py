"""The schema changes only through Alembic: migrations at head equal the models."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from lms.catalog.search import include_object
from lms.core.migrate import alembic_config
from lms.db import Base, make_engine
from tests.conftest import reset_database


@pytest.fixture
def empty_url(tmp_path):
    url = os.environ.get("LMS_TEST_MIGRATIONS_URL")
    if url:
        reset_database(url)
        return url
    return f"sqlite:///{tmp_path}/migrations.sqlite3"


def test_upgrade_to_head_equals_models_then_downgrade(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "head")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True, "include_object": include_object}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
    command.downgrade(cfg, "base")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        conn.execute(text("SELECT 1"))
    engine.dispose()
