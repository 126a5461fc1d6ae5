"""sessions get an optional external code: the key of the sessions import

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:30:00

A training department's spreadsheet names its sessions by its own codes; an import
finds the session by its code when the file gives one (else by name). Unique, so a
code names one session; NULL for the sessions that have none (several may).
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('training_session', sa.Column('code', sa.String(length=64), nullable=True))
    op.create_index('ix_training_session_code', 'training_session', ['code'], unique=True)


def downgrade():
    op.drop_index('ix_training_session_code', table_name='training_session')
    op.drop_column('training_session', 'code')
