"""pairing codes: pair a kiosk by camera with a short-lived, single-use code

The back office shows the code (as a QR and as text); the kiosk trades it once
for its device token.  Only the code's SHA-256 is stored.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-07 23:50:00
"""

import sqlalchemy as sa
from alembic import op

import backoffice.models

revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pairing_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('kiosk_name', sa.String(length=80), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', backoffice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', backoffice.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', backoffice.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_from', sa.String(length=64), nullable=True),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('pairing_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_codes_register_id'), ['register_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pairing_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_codes_register_id'))
    op.drop_table('pairing_codes')
