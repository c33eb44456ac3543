"""staff: two-step verification (TOTP secret, last step used) and recovery codes

Revision ID: c3d9f0a7b812
Revises: e4a91c3f5d20
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9f0a7b812'
down_revision = 'e4a91c3f5d20'
branch_labels = None
depends_on = None


def upgrade():
    # Columns only (ALTER TABLE ... ADD COLUMN), never a rebuilt table: others refer to it.
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    op.create_table('staff_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_staff_recovery_code_staff_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_code'))
    )
    with op.batch_alter_table('staff_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_recovery_code_staff_id'), ['staff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_code_staff_id'))
    op.drop_table('staff_recovery_code')
    for column in ('totp_last_step', 'totp_enabled_at', 'totp_secret'):
        op.drop_column('staff_member', column)
