"""Indexes for the FAI lists and the dashboard of one site (W5).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_first_articles_site_created": ["site_id", "created_at", "id"],
    "ix_first_articles_site_status_created": ["site_id", "status", "created_at", "id"],
    "ix_first_articles_customer_created": ["customer_id", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "first_articles", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="first_articles")
