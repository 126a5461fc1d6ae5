"""the journal's records of users, indexed for searching a person

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 07:10:00

A History search for a person reads the users who match now (the user search's index)
and those whose entries as users record a matching name; a partial index holds those
entries alone (object_type 'user'), so the items of big imports cost it nothing. A
search for an actor also reads the entries whose actor is no user (failed logins, the
portal): a partial index of those.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX, never a batch table copy.
    op.create_index('ix_journal_entry_user_entries', 'journal_entry', ['learner_id'],
                    unique=False, postgresql_where=sa.text("object_type = 'user'"),
                    sqlite_where=sa.text("object_type = 'user'"))
    op.create_index('ix_journal_entry_unnamed_actor', 'journal_entry', ['id'],
                    unique=False, postgresql_where=sa.text("actor_id IS NULL"),
                    sqlite_where=sa.text("actor_id IS NULL"))


def downgrade():
    op.drop_index('ix_journal_entry_unnamed_actor', table_name='journal_entry',
                  postgresql_where=sa.text("actor_id IS NULL"),
                  sqlite_where=sa.text("actor_id IS NULL"))
    op.drop_index('ix_journal_entry_user_entries', table_name='journal_entry',
                  postgresql_where=sa.text("object_type = 'user'"),
                  sqlite_where=sa.text("object_type = 'user'"))
