"""Records of authority: local nonconformances, Form 2 'none applies', partial-FAI omissions,
and the customer orders that call for a revision the definition no longer allows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 8,
    )


def _origin() -> sa.Enum:
    return _enum("nonconformanceorigin", "qms", "local")


def _fai_child(name: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f(f"fk_{name}_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f(f"fk_{name}_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_fai", name, ["site_id", "first_article_id"])
    op.create_index(op.f(f"ix_{name}_id"), name, ["id"])


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "nonconformance_authority",
                _origin(),
                server_default=sa.text("'qms'"),
                nullable=False,
            )
        )
    with op.batch_alter_table("nonconformance_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", _origin(), server_default=sa.text("'qms'"), nullable=False)
        )
    _fai_child(
        "form2_statements",
        sa.Column(
            "kind",
            _enum("form2kind", "material", "special_process", "functional_test"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("stated_by", sa.String(length=100), nullable=False),
        sa.Column("stated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "site_id",
            "first_article_id",
            "kind",
            name=op.f("uq_form2_statements_site_id_first_article_id_kind"),
        ),
    )
    _fai_child(
        "form3_omissions",
        sa.Column("characteristic_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["characteristic_id"],
            ["characteristics.id"],
            name=op.f("fk_form3_omissions_characteristic_id_characteristics"),
        ),
        sa.UniqueConstraint(
            "site_id",
            "first_article_id",
            "characteristic_id",
            name=op.f("uq_form3_omissions_site_id_first_article_id_characteristic_id"),
        ),
    )
    op.create_table(
        "revision_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("part_revision_id", sa.String(length=36), nullable=False),
        sa.Column("purchase_order", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.String(length=100), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_revision_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["part_revision_id"],
            ["part_revisions.id"],
            name=op.f("fk_revision_orders_part_revision_id_part_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_orders")),
    )
    op.create_index(
        "ix_revision_orders_customer_revision",
        "revision_orders",
        ["customer_id", "part_revision_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_revision_orders_customer_revision", table_name="revision_orders")
    op.drop_table("revision_orders")
    for name in ("form3_omissions", "form2_statements"):
        op.drop_index(op.f(f"ix_{name}_id"), table_name=name)
        op.drop_index(f"ix_{name}_fai", table_name=name)
        op.drop_table(name)
    with op.batch_alter_table("nonconformance_links", schema=None) as batch_op:
        batch_op.drop_column("origin")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("nonconformance_authority")
