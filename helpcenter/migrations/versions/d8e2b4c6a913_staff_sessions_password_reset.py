"""staff: session generation (sign out everywhere) and password reset links

Revision ID: d8e2b4c6a913
Revises: c3d9f0a7b812
Create Date: 2026-12-07 15:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8e2b4c6a913'
down_revision = 'c3d9f0a7b812'
branch_labels = None
depends_on = None


def upgrade():
    # A column only (ALTER TABLE ... ADD COLUMN), never a rebuilt table: others refer to it.
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    op.create_table('staff_password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_staff_password_reset_staff_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_password_reset')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_password_reset_token_hash'))
    )
    with op.batch_alter_table('staff_password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_password_reset_staff_id'), ['staff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_password_reset_staff_id'))
    op.drop_table('staff_password_reset')

    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
