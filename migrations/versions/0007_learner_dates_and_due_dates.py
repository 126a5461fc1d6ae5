"""individual dates and suspension of enrolments; assignment due dates per session

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:05:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_CHECKS = (
    ("ck_enrolment_extension_at_most_ten_years", "extension_days <= 3650"),
    ("ck_enrolment_extension_or_own_window",
     "extension_days = 0 OR (own_start IS NULL AND own_end IS NULL)"),
    ("ck_enrolment_own_window_ordered",
     "own_start IS NULL OR own_end IS NULL OR own_start < own_end"),
)


def upgrade():
    # Plain ALTER TABLE … ADD COLUMN: a batch (copy and rename) of enrolment would drop
    # the triggers that keep the learner counts (models/learner_count.py).
    dt = sa.DateTime()
    op.add_column('enrolment', sa.Column('own_start', dt, nullable=True))
    op.add_column('enrolment', sa.Column('own_end', dt, nullable=True))
    op.add_column('enrolment', sa.Column('dates_reason', sa.String(length=200), nullable=True))
    op.add_column('enrolment', sa.Column('suspended_at', dt, nullable=True))
    op.add_column('enrolment', sa.Column('suspension_reason', sa.String(length=200),
                                         nullable=True))
    op.add_column('training_session', sa.Column('learners_span', sa.Boolean(),
                                                server_default=sa.text('false'), nullable=False))
    op.add_column('training_session', sa.Column('learners_start', dt, nullable=True))
    op.add_column('training_session', sa.Column('learners_end', dt, nullable=True))
    # SQLite cannot add a CHECK to an existing table without rebuilding it (see above):
    # there the domain's validation (domain/learner_dates.py) is the only guard.
    if op.get_bind().dialect.name != "sqlite":
        for name, condition in _CHECKS:
            op.create_check_constraint(name, 'enrolment', condition)
    op.create_table('assignment_due',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('due_at', dt, nullable=True),
    sa.Column('due_days', sa.Integer(), nullable=True),
    sa.CheckConstraint('(due_at IS NULL) <> (due_days IS NULL)', name=op.f('ck_assignment_due_fixed_or_relative')),
    sa.CheckConstraint('due_days IS NULL OR (due_days >= 0 AND due_days <= 3650)', name=op.f('ck_assignment_due_due_days_range')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_assignment_due_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id', 'course_id'], ['session_course.session_id', 'session_course.course_id'], name=op.f('fk_assignment_due_session_id_session_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'assignment_id', name=op.f('pk_assignment_due'))
    )
    with op.batch_alter_table('assignment_due', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_due_assignment_id'), ['assignment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assignment_due', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_due_assignment_id'))
    op.drop_table('assignment_due')
    if op.get_bind().dialect.name != "sqlite":
        for name, _ in _CHECKS:
            op.drop_constraint(name, 'enrolment', type_='check')
    for column in ('learners_end', 'learners_start', 'learners_span'):
        op.drop_column('training_session', column)
    for column in ('suspension_reason', 'suspended_at', 'dates_reason', 'own_end', 'own_start'):
        op.drop_column('enrolment', column)
