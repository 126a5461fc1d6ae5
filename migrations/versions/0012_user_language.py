"""each user's language

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:40:00

Pages and e-mails are in the user's language when they chose one in their profile
(en, fr or es); NULL follows the browser, then the portal's PORTAL_LANGUAGE.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases: a batch copy of "user" on SQLite would lose
    # its expression indexes.
    op.add_column('user', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('user', 'language')
