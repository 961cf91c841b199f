"""login failures: one row per typed username and per client address, for a growing sign-in lockout

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-07 23:50:00
"""

import sqlalchemy as sa
from alembic import op

from backoffice.models import UTCDateTime

revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_failures',
        sa.Column('bucket', sa.String(length=80), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('locked_until', UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('bucket'),
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_last_failed_at'), ['last_failed_at'], unique=False)
    # The sign-in throttle of before counted in rate_limit_hits: those rows are not read any more.
    op.execute("DELETE FROM rate_limit_hits WHERE bucket LIKE 'login:%'")


def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_last_failed_at'))
    op.drop_table('login_failures')
