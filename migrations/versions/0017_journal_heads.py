"""the journal's heads indexed apart from the items of bulk changes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 15:05:00

History and the API's journal list heads (parent_id IS NULL) newest first. After a big
import, its items are the newest entries: PostgreSQL read the primary key backwards and
stepped over every item to find a page of heads. A partial index of the heads' ids is
read in that order instead, whatever the imports left behind; it holds each head's kind,
which a History filtered by kind checks there.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX, never a batch table copy.
    op.create_index('ix_journal_entry_heads', 'journal_entry', ['id', 'object_type'],
                    unique=False,
                    postgresql_where=sa.text("parent_id IS NULL"),
                    sqlite_where=sa.text("parent_id IS NULL"))


def downgrade():
    op.drop_index('ix_journal_entry_heads', table_name='journal_entry',
                  postgresql_where=sa.text("parent_id IS NULL"),
                  sqlite_where=sa.text("parent_id IS NULL"))
