"""Submission packages kept per attempt, and the AS9102 numbering a customer reads.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _revision_enum() -> sa.Enum:
    return sa.Enum(
        "C", "B", name="formrevision", native_enum=False, create_constraint=True, length=9
    )


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "form_revision",
                _revision_enum(),
                server_default=sa.text("'C'"),
                nullable=False,
            )
        )
    op.create_table(
        "submission_packages",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("form_revision", _revision_enum(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("built_by", sa.String(length=100), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_submission_packages_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_submission_packages_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_submission_packages")),
        sa.UniqueConstraint(
            "site_id",
            "first_article_id",
            "attempt",
            name=op.f("uq_submission_packages_site_id_first_article_id_attempt"),
        ),
    )
    op.create_index(
        "ix_submission_packages_fai", "submission_packages", ["site_id", "first_article_id"]
    )
    op.create_index(op.f("ix_submission_packages_id"), "submission_packages", ["id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_submission_packages_id"), table_name="submission_packages")
    op.drop_index("ix_submission_packages_fai", table_name="submission_packages")
    op.drop_table("submission_packages")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("form_revision")
