"""lesson fts: a full-text index over lessons.search_text (SQLite FTS5, PostgreSQL tsvector + GIN)

Revision ID: 1606_lesson_fts
Revises: 1606_notice_mail
Create Date: 2026-11-30 18:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1606_lesson_fts"
down_revision: str | Sequence[str] | None = "1606_notice_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not on the models (lms/catalog/search.py says why); built from the existing rows here.
    from lms.catalog.search import install

    install(op.get_bind())


def downgrade() -> None:
    from lms.catalog.search import uninstall

    uninstall(op.get_bind())
