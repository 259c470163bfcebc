"""Gate decisions name the part revision they were asked about.

Lists of decisions are filtered by the revision's export label, so the revision must be on the
row. Decisions recorded before this carry none and stay visible by site only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gate_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part_revision_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gate_decisions", schema=None) as batch_op:
        batch_op.drop_column("part_revision_id")
