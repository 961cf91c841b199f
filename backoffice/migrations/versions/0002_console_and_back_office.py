"""console and back office: keyset indexes, mail retries

Customer name keys are indexed together with the id, so that prefix search and
keyset pagination over a million customers walk one index in order (on
PostgreSQL a single-column index would still need a sort for the id tiebreak).
Mail messages record their delivery attempts and the customer they concern.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:46:38.312781
"""

import sqlalchemy as sa
from alembic import op

import backoffice.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

MAIL_CUSTOMER_FK = 'fk_mail_messages_customer_id_customers'


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_search_last_id', ['search_last', 'id'], unique=False)
        batch_op.create_index('ix_customers_search_name_id', ['search_name', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_customers_search_last'))
        batch_op.drop_index(batch_op.f('ix_customers_search_name'))

    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', backoffice.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_mail_messages_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_messages_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_foreign_key(MAIL_CUSTOMER_FK, 'customers', ['customer_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_constraint(MAIL_CUSTOMER_FK, type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mail_messages_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_mail_messages_customer_id'))
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('customer_id')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_search_last'), ['search_last'], unique=False)
        batch_op.drop_index('ix_customers_search_name_id')
        batch_op.drop_index('ix_customers_search_last_id')
