"""lesson search: folded title and text of each lesson for the catalogue search

Revision ID: 1601_lesson_search
Revises: 1501_public_courses
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1601_lesson_search"
down_revision: str | Sequence[str] | None = "1501_public_courses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lessons") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    # Existing lessons: fill the column the way the importer does.
    from lms.core.html import plain_text
    from lms.core.text import fold

    bind = op.get_bind()
    lessons = sa.table(
        "lessons",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("body_html", sa.Text),
        sa.column("search_text", sa.Text),
    )
    rows = bind.execute(sa.select(lessons.c.id, lessons.c.title, lessons.c.body_html)).all()
    for lesson_id, title, html in rows:
        bind.execute(
            lessons.update()
            .where(lessons.c.id == lesson_id)
            .values(search_text=fold(f"{title} {plain_text(html or '')}"))
        )


def downgrade() -> None:
    with op.batch_alter_table("lessons") as batch:
        batch.drop_column("search_text")
