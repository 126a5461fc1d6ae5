"""the outbox list in its order: newest first

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 07:00:00

The admin's Outbox lists messages by created_at, newest first, then id: an index in that
order serves its first page (and, read backwards, its last) without sorting every message.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX, never a batch table copy.
    op.create_index('ix_outbox_message_created_at_id', 'outbox_message', ['created_at', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_outbox_message_created_at_id', table_name='outbox_message')
