"""A characteristic imported from a QIF file keeps the file's type for it (``Diameter``,
``Position``) and its tolerance as typed (frame rows, datum references, limits or
tolerance), so that the QIF Results export writes the same characteristic.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("characteristics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qif_kind", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("design_tolerance", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("characteristics", schema=None) as batch_op:
        batch_op.drop_column("design_tolerance")
        batch_op.drop_column("qif_kind")
