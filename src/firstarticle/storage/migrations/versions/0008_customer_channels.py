"""Customer channel configurations (versioned), decisions with evidence, a work order's program.

A customer without a configuration row keeps meaning what its channel, form revision and
ships-on-conditional fields said (version 0, domain/channels.py derived_configuration), so
no data is copied here.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_channels",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "authority",
            sa.Enum(
                "portal",
                "customer_qms",
                "source_inspection",
                "email_package",
                "firstarticle",
                name="authority",
                native_enum=False,
                create_constraint=True,
                length=25,
            ),
            nullable=False,
        ),
        sa.Column("portal_name", sa.String(length=200), nullable=True),
        sa.Column(
            "buy_off",
            sa.Enum(
                "none",
                "one_step",
                "delegated",
                name="buyoffmode",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column(
            "form_revision",
            sa.Enum(
                "C", "B", name="formrevision", native_enum=False, create_constraint=True, length=9
            ),
            nullable=False,
        ),
        sa.Column("ships_while_conditional", sa.Boolean(), nullable=False),
        sa.Column("conditions_meaning", sa.Text(), nullable=True),
        sa.Column("entry_paths", sa.JSON(), nullable=False),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_channels_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_channels")),
        sa.UniqueConstraint(
            "customer_id",
            "program",
            "version",
            name=op.f("uq_customer_channels_customer_id_program_version"),
        ),
    )
    op.create_table(
        "customer_decision_evidence",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_customer_decision_evidence_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_customer_decision_evidence_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_customer_decision_evidence")),
    )
    with op.batch_alter_table("customer_decision_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_decision_evidence_fai", ["site_id", "first_article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_decision_evidence_id"), ["id"], unique=False)

    op.create_table(
        "submission_channels",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=36), nullable=True),
        sa.Column("channel_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["customer_channels.id"],
            name=op.f("fk_submission_channels_channel_id_customer_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_submission_channels_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_submission_channels_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_submission_channels")),
        sa.UniqueConstraint(
            "site_id",
            "first_article_id",
            "attempt",
            name=op.f("uq_submission_channels_site_id_first_article_id_attempt"),
        ),
    )
    with op.batch_alter_table("submission_channels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_channels_fai", ["site_id", "first_article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_submission_channels_id"), ["id"], unique=False)

    op.create_table(
        "customer_decision_records",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "approved",
                "conditionally_accepted",
                "rejected",
                "reset",
                name="outcome",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "path",
            sa.Enum(
                "integration",
                "transcription",
                "signature",
                "delegated",
                name="entrypath",
                native_enum=False,
                create_constraint=True,
                length=21,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending_verification",
                "in_effect",
                "refused",
                name="decisionstatus",
                native_enum=False,
                create_constraint=True,
                length=28,
            ),
            nullable=False,
        ),
        sa.Column(
            "authority",
            sa.Enum(
                "portal",
                "customer_qms",
                "source_inspection",
                "email_package",
                "firstarticle",
                name="authority",
                native_enum=False,
                create_constraint=True,
                length=25,
            ),
            nullable=False,
        ),
        sa.Column("channel_version", sa.Integer(), nullable=False),
        sa.Column("customer_person_id", sa.String(length=100), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column(
            "requested_action",
            sa.Enum(
                "rework",
                "resubmission",
                "containment",
                name="requestedaction",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("containment_serial_numbers", sa.JSON(), nullable=False),
        sa.Column("containment_lots", sa.JSON(), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=True),
        sa.Column("verified_by", sa.String(length=100), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id", "evidence_id"],
            ["customer_decision_evidence.site_id", "customer_decision_evidence.id"],
            name=op.f(
                "fk_customer_decision_records_site_id_evidence_id_customer_decision_evidence"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_customer_decision_records_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_customer_decision_records_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_customer_decision_records")),
    )
    with op.batch_alter_table("customer_decision_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_decision_records_fai", ["site_id", "first_article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_decision_records_id"), ["id"], unique=False)

    op.create_table(
        "condition_settlements",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("settled_by", sa.String(length=100), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id", "decision_id"],
            ["customer_decision_records.site_id", "customer_decision_records.id"],
            name=op.f("fk_condition_settlements_site_id_decision_id_customer_decision_records"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_condition_settlements_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_condition_settlements_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_condition_settlements")),
        sa.UniqueConstraint(
            "site_id",
            "decision_id",
            "number",
            name=op.f("uq_condition_settlements_site_id_decision_id_number"),
        ),
    )
    with op.batch_alter_table("condition_settlements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_condition_settlements_fai", ["site_id", "first_article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_condition_settlements_id"), ["id"], unique=False)

    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("program")

    with op.batch_alter_table("condition_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_settlements_id"))
        batch_op.drop_index("ix_condition_settlements_fai")

    op.drop_table("condition_settlements")
    with op.batch_alter_table("customer_decision_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_decision_records_id"))
        batch_op.drop_index("ix_customer_decision_records_fai")

    op.drop_table("customer_decision_records")
    with op.batch_alter_table("submission_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_channels_id"))
        batch_op.drop_index("ix_submission_channels_fai")

    op.drop_table("submission_channels")
    with op.batch_alter_table("customer_decision_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_decision_evidence_id"))
        batch_op.drop_index("ix_customer_decision_evidence_fai")

    op.drop_table("customer_decision_evidence")
    op.drop_table("customer_channels")
