"""players: casino sign-in tokens already used (single sign-on replay protection)

Revision ID: f2a7c5e81b34
Revises: d8e2b4c6a913
Create Date: 2026-12-07 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a7c5e81b34'
down_revision = 'd8e2b4c6a913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sso_used_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jti', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_used_token')),
    sa.UniqueConstraint('jti', name=op.f('uq_sso_used_token_jti'))
    )
    with op.batch_alter_table('sso_used_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_used_token_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sso_used_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_used_token_expires_at'))
    op.drop_table('sso_used_token')
