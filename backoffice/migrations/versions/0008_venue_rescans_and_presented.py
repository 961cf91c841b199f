"""venue scanner: re-scans and what was presented

A scan of a customer code the same door already let through within the
re-scan window is logged with ``repeat`` set, so the scan log and the counts
can tell a second pass from a first.  ``presented`` says what kind of code
was shown (customer number, card, vCard, licence, unknown text...), so that a
"not recognised" row says what the person held up.  The door looks up a
customer's last scan at that kiosk with (kiosk_id, customer_reference, at).

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-07 23:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('verify_scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presented', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('repeat', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_verify_scans_kiosk_customer_at', ['kiosk_id', 'customer_reference', 'at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('verify_scans', schema=None) as batch_op:
        batch_op.drop_index('ix_verify_scans_kiosk_customer_at')
        batch_op.drop_column('repeat')
        batch_op.drop_column('presented')
