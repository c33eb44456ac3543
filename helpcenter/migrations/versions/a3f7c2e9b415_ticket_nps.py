"""ticket: the player's answer to the NPS question (0-10) and when it was given

Revision ID: a3f7c2e9b415
Revises: f2a7c5e81b34
Create Date: 2026-12-07 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3f7c2e9b415'
down_revision = 'f2a7c5e81b34'
branch_labels = None
depends_on = None


def upgrade():
    # Empty for the tickets before: nobody was asked.
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nps_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('nps_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('nps_at')
        batch_op.drop_column('nps_score')
