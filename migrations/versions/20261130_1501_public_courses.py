"""public courses: visitors read their lessons without an account

Revision ID: 1501_public_courses
Revises: 1301_jobs
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1501_public_courses"
down_revision: str | Sequence[str] | None = "1301_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("is_public", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("is_public")
