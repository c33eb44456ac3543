"""index every foreign key column that had none

Deleting or changing a referenced row (an article revision, a message, a staff member, a
ticket) makes the database look for the rows that point at it: without an index, a scan of the
whole referencing table for each row.

Revision ID: c9e4a7d2f318
Revises: b5d2e8f41c67
Create Date: 2026-12-07 17:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c9e4a7d2f318'
down_revision = 'b5d2e8f41c67'
branch_labels = None
depends_on = None

INDEXES = (
    ('article_translation', 'revision_id'),
    ('article_revision', 'source_revision_id'),
    ('ticket', 'chat_operator_id'),
    ('ticket_attachment', 'message_id'),
    ('idempotent_request', 'ticket_id'),
)


def upgrade():
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def downgrade():
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
