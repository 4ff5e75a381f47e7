"""sso: province identities (issuer + subject) linked to accounts, and the sign-on rules

Revision ID: 1701_sso
Revises: 1801_lti
Create Date: 2026-11-30 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms.db

revision: str = '1701_sso'
down_revision: str | Sequence[str] | None = '1801_lti'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oidc_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=20), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oidc_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_identities')),
    sa.UniqueConstraint('issuer', 'subject', name='uq_oidc_identities_issuer_subject'),
    sa.UniqueConstraint('issuer', 'user_id', name='uq_oidc_identities_issuer_user_id')
    )
    with op.batch_alter_table('oidc_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_identities_user_id'), ['user_id'], unique=False)

    op.create_table('sso_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_by_verified_email', sa.Boolean(), nullable=False),
    sa.Column('link_by_username', sa.Boolean(), nullable=False),
    sa.Column('create_accounts', sa.Boolean(), nullable=False),
    sa.Column('holding_unit_id', sa.Integer(), nullable=True),
    sa.Column('local_passwords_off', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['holding_unit_id'], ['org_units.id'], name=op.f('fk_sso_settings_holding_unit_id_org_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_sso_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_settings'))
    )
    with op.batch_alter_table('sso_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_settings_holding_unit_id'), ['holding_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_settings_updated_by_id'), ['updated_by_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sso_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_settings_updated_by_id'))
        batch_op.drop_index(batch_op.f('ix_sso_settings_holding_unit_id'))

    op.drop_table('sso_settings')
    with op.batch_alter_table('oidc_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_identities_user_id'))

    op.drop_table('oidc_identities')
