"""sale connection history and prompts

Who connected which customer to a sale, replaced or disconnected them, when
and how (sale_connections), and the matches a cashier must accept or refuse
before anything is connected (connection_prompts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 23:32:24.865366
"""

import sqlalchemy as sa
from alembic import op

import backoffice.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sale_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('previous_customer_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', backoffice.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['previous_customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sale_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sale_connections_sale_id'), ['sale_id'], unique=False)

    op.create_table('connection_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('current_customer_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('presented', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('mobile_session_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', backoffice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', backoffice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', backoffice.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['current_customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mobile_session_id'], ['mobile_sessions.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['staff_users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('connection_prompts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connection_prompts_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_connection_prompts_register_status', ['register_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('connection_prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_connection_prompts_register_status')
        batch_op.drop_index(batch_op.f('ix_connection_prompts_customer_id'))

    op.drop_table('connection_prompts')
    with op.batch_alter_table('sale_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_connections_sale_id'))

    op.drop_table('sale_connections')
