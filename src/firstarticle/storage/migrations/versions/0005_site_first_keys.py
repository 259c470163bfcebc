"""Every site-owned table keys on site_id first, so the data can be distributed by site.

Gate decisions and signatures were keyed by id alone. Decisions asked about a site nobody
knows have no site: they now carry the empty site id instead of NULL (a distribution column
cannot be NULL). The one-valid-signature-per-meaning index includes the site.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_VALID = sa.text("invalidated_at IS NULL")


def upgrade() -> None:
    op.execute("UPDATE gate_decisions SET site_id = '' WHERE site_id IS NULL")
    with op.batch_alter_table("gate_decisions", recreate="auto") as batch:
        batch.alter_column("site_id", existing_type=sa.String(length=36), nullable=False)
        batch.drop_constraint("pk_gate_decisions", type_="primary")
        batch.create_primary_key("pk_gate_decisions", ["site_id", "id"])

    op.drop_index("uq_signatures_valid_meaning", table_name="signatures")
    op.drop_index("ix_signatures_record", table_name="signatures")
    with op.batch_alter_table("signatures", recreate="auto") as batch:
        batch.drop_constraint("pk_signatures", type_="primary")
        batch.create_primary_key("pk_signatures", ["site_id", "id"])
    op.create_index("ix_signatures_record", "signatures", ["site_id", "record_type", "record_id"])
    op.create_index(
        "uq_signatures_valid_meaning",
        "signatures",
        ["site_id", "record_type", "record_id", "meaning"],
        unique=True,
        sqlite_where=_VALID,
        postgresql_where=_VALID,
    )


def downgrade() -> None:
    op.drop_index("uq_signatures_valid_meaning", table_name="signatures")
    op.drop_index("ix_signatures_record", table_name="signatures")
    with op.batch_alter_table("signatures", recreate="auto") as batch:
        batch.drop_constraint("pk_signatures", type_="primary")
        batch.create_primary_key("pk_signatures", ["id"])
    op.create_index("ix_signatures_record", "signatures", ["record_type", "record_id"])
    op.create_index(
        "uq_signatures_valid_meaning",
        "signatures",
        ["record_type", "record_id", "meaning"],
        unique=True,
        sqlite_where=_VALID,
        postgresql_where=_VALID,
    )
    with op.batch_alter_table("gate_decisions", recreate="auto") as batch:
        batch.drop_constraint("pk_gate_decisions", type_="primary")
        batch.create_primary_key("pk_gate_decisions", ["id"])
        batch.alter_column("site_id", existing_type=sa.String(length=36), nullable=True)
    op.execute("UPDATE gate_decisions SET site_id = NULL WHERE site_id = ''")
