"""groups and the venue scanner: membership and change indexes

Group criteria probe one customer's memberships at a time: (customer_id,
plan, starts_on, ends_on) replaces the index on customer_id alone (its
prefix), and keeps SQLite's planner, which has no statistics, from walking
the plan index once per customer.  The venue scanners' offline list checks
for changes with max(customers.updated_at) and max(id_cards.linked_at):
both indexed so that the check stays a lookup at a million rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 07:04:26.888766
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('id_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_id_cards_linked_at'), ['linked_at'], unique=False)

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_customer_plan', ['customer_id', 'plan', 'starts_on', 'ends_on'],
                              unique=False)
        batch_op.drop_index(batch_op.f('ix_memberships_customer_id'))


def downgrade() -> None:
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_customer_id'), ['customer_id'], unique=False)
        batch_op.drop_index('ix_memberships_customer_plan')

    with op.batch_alter_table('id_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_id_cards_linked_at'))

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_updated_at'))
