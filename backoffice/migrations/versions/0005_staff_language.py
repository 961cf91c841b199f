"""staff language and phone endings: each staff member's page language (empty: the shop's default), and a
keyed lookup of each customer's last four phone digits (filled for existing customers by the server's
housekeeping, see services/customer_list.fill_phone_endings)

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-07 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='', nullable=False))
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_ending_lookup', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_phone_ending_lookup'), ['phone_ending_lookup'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone_ending_lookup'))
        batch_op.drop_column('phone_ending_lookup')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('language')
