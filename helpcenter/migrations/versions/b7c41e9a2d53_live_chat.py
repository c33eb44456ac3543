"""live chat

Revision ID: b7c41e9a2d53
Revises: 1ef996a11fa3
Create Date: 2026-12-07 08:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e9a2d53'
down_revision = '1ef996a11fa3'
branch_labels = None
depends_on = None


def upgrade():
    # Columns only (ALTER TABLE ... ADD COLUMN), never a rebuilt table: SQLite runs with
    # foreign keys on, and rebuilding `ticket` would mean dropping a table others refer to.
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presence', sa.String(length=10), server_default='away', nullable=False))
        batch_op.add_column(sa.Column('presence_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('chat_queued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chat_accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chat_ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chat_operator_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chat_end_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('player_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_ticket_chat_state_chat_queued_at', ['chat_state', 'chat_queued_at'], unique=False)

    if op.get_bind().dialect.name != 'sqlite':
        # SQLite adds no constraint to an existing table; its column stays a plain integer.
        op.create_foreign_key(op.f('fk_ticket_chat_operator_id_staff_member'), 'ticket', 'staff_member', ['chat_operator_id'], ['id'])

    with op.batch_alter_table('ticket_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('articles', sa.JSON(), nullable=True))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.drop_column('ticket_message', 'articles')
    op.drop_index('ix_ticket_chat_state_chat_queued_at', table_name='ticket')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_ticket_chat_operator_id_staff_member'), 'ticket', type_='foreignkey')
    for column in ('player_seen_at', 'chat_end_reason', 'chat_operator_id', 'chat_ended_at',
                   'chat_accepted_at', 'chat_queued_at', 'chat_state'):
        op.drop_column('ticket', column)
    op.drop_column('staff_member', 'presence_at')
    op.drop_column('staff_member', 'presence')
