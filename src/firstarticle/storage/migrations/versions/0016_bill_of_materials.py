"""An assembly revision's bill of materials mirrored from PLM, and where each Form 1 index
entry came from (keyed in by hand, or built from the BOM).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PART_TYPES = ("detail", "sub_assembly", "software", "standard_catalogue", "cots")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 8,
    )


def upgrade() -> None:
    op.create_table(
        "bom_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("part_revision_id", sa.String(length=36), nullable=False),
        sa.Column("find_number", sa.String(length=32), nullable=False),
        sa.Column("part_number", sa.String(length=64), nullable=False),
        sa.Column("part_name", sa.String(length=200), nullable=False),
        sa.Column("part_type", _enum("indexparttype", *PART_TYPES), nullable=False),
        sa.Column("revision", sa.String(length=16), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_bom_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["part_revision_id"],
            ["part_revisions.id"],
            name=op.f("fk_bom_lines_part_revision_id_part_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bom_lines")),
        sa.UniqueConstraint(
            "part_revision_id",
            "find_number",
            name=op.f("uq_bom_lines_part_revision_id_find_number"),
        ),
    )
    with op.batch_alter_table("index_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                _enum("indexorigin", "hand", "bom"),
                server_default=sa.text("'hand'"),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("index_entries", schema=None) as batch_op:
        # SQLite's table copy would keep the column's CHECK without the column.
        batch_op.drop_constraint(op.f("ck_index_entries_indexorigin"), type_="check")
        batch_op.drop_column("origin")
    op.drop_table("bom_lines")
