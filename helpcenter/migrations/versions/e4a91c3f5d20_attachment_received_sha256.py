"""attachment: SHA-256 of the bytes as received

Revision ID: e4a91c3f5d20
Revises: b7c41e9a2d53
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a91c3f5d20'
down_revision = 'b7c41e9a2d53'
branch_labels = None
depends_on = None


def upgrade():
    # Empty for the files kept before: they were stored as received, unchanged.
    with op.batch_alter_table('ticket_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_sha256', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('ticket_attachment', schema=None) as batch_op:
        batch_op.drop_column('received_sha256')
