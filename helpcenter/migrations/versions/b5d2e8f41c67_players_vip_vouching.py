"""players from the casino; tickets' verified player ID and VIP level; vouching API keys

Revision ID: b5d2e8f41c67
Revises: a3f7c2e9b415
Create Date: 2026-12-07 16:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d2e8f41c67'
down_revision = 'a3f7c2e9b415'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('player',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.String(length=40), nullable=False),
    sa.Column('first_signed_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_signed_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_player')),
    sa.UniqueConstraint('player_id', name=op.f('uq_player_player_id'))
    )
    # Empty for the tickets before: nobody vouched for them (linked at the first sign-in).
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_player_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('vip', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_ticket_verified_player_id'), ['verified_player_id'], unique=False)
    # Existing keys may not vouch: an administrator allows it (`helpcenter api-key allow-vouching`).
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_vouch', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('can_vouch')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_verified_player_id'))
        batch_op.drop_column('vip')
        batch_op.drop_column('verified_player_id')
    op.drop_table('player')
