"""Re-FAI triggers and their evaluations; the trigger kind an FAI was opened for; holds placed
by an evaluation; when a work order starts and when an operation was completed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TRIGGERS = (
    "design_change",
    "source_change",
    "process_change",
    "inspection_method_change",
    "tooling_change",
    "material_change",
    "location_change",
    "nc_program_change",
    "event",
    "corrective_action",
    "production_lapse",
)
HOLD_SOURCES_BEFORE = ("fai_required", "customer_containment", "manual")
HOLD_SOURCES = (*HOLD_SOURCES_BEFORE, "refai_evaluation")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 8,
    )


def _hold_sources(values: tuple[str, ...]) -> None:
    """Let holds.source take exactly ``values`` (same column length: 28)."""
    listed = ", ".join(f"'{v}'" for v in values)
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK constraint: the table is copied with the new one.
        with op.batch_alter_table("holds", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_holds_holdsource"), type_="check")
            batch_op.create_check_constraint("holdsource", sa.text(f"source IN ({listed})"))
        return
    op.drop_constraint(op.f("ck_holds_holdsource"), "holds", type_="check")
    op.create_check_constraint("holdsource", "holds", sa.text(f"source IN ({listed})"))


def upgrade() -> None:
    op.create_table(
        "refai_triggers",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", _enum("refaitrigger", *TRIGGERS), nullable=False),
        sa.Column("part_revision_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("baseline_first_article_id", sa.String(length=36), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("before", sa.String(length=200), nullable=True),
        sa.Column("after", sa.String(length=200), nullable=True),
        sa.Column("source_record_type", sa.String(length=32), nullable=False),
        sa.Column("source_record_id", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_refai_triggers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["part_revision_id"],
            ["part_revisions.id"],
            name=op.f("fk_refai_triggers_part_revision_id_part_revisions"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "baseline_first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_refai_triggers_site_id_baseline_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_refai_triggers_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_refai_triggers")),
        sa.UniqueConstraint(
            "site_id", "fingerprint", name=op.f("uq_refai_triggers_site_id_fingerprint")
        ),
    )
    op.create_index(op.f("ix_refai_triggers_id"), "refai_triggers", ["id"])
    op.create_index("ix_refai_triggers_revision", "refai_triggers", ["site_id", "part_revision_id"])
    op.create_table(
        "refai_evaluations",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trigger_id", sa.String(length=36), nullable=False),
        sa.Column("team", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_id", sa.String(length=36), nullable=True),
        sa.Column("status", _enum("evaluationstatus", "open", "decided"), nullable=False),
        sa.Column("outcome", _enum("evaluationoutcome", "none", "partial", "full"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_article_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint(
            "status = 'open' OR (outcome IS NOT NULL AND reason IS NOT NULL "
            "AND decided_at IS NOT NULL)",
            name=op.f("ck_refai_evaluations_decided_fully"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_refai_evaluations_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "hold_id"],
            ["holds.site_id", "holds.id"],
            name=op.f("fk_refai_evaluations_site_id_hold_id_holds"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id", "trigger_id"],
            ["refai_triggers.site_id", "refai_triggers.id"],
            name=op.f("fk_refai_evaluations_site_id_trigger_id_refai_triggers"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_refai_evaluations_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_refai_evaluations")),
        sa.UniqueConstraint(
            "site_id", "trigger_id", name=op.f("uq_refai_evaluations_site_id_trigger_id")
        ),
    )
    op.create_index(op.f("ix_refai_evaluations_id"), "refai_evaluations", ["id"])
    op.create_index("ix_refai_evaluations_status", "refai_evaluations", ["site_id", "status"])
    with op.batch_alter_table("first_articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refai_trigger", _enum("refaitrigger", *TRIGGERS), nullable=True)
        )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("routing_operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
    _hold_sources(HOLD_SOURCES)


def downgrade() -> None:
    _hold_sources(HOLD_SOURCES_BEFORE)
    with op.batch_alter_table("routing_operations", schema=None) as batch_op:
        batch_op.drop_column("completed_at")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("starts_at")
    with op.batch_alter_table("first_articles", schema=None) as batch_op:
        batch_op.drop_column("refai_trigger")
    op.drop_index("ix_refai_evaluations_status", table_name="refai_evaluations")
    op.drop_index(op.f("ix_refai_evaluations_id"), table_name="refai_evaluations")
    op.drop_table("refai_evaluations")
    op.drop_index("ix_refai_triggers_revision", table_name="refai_triggers")
    op.drop_index(op.f("ix_refai_triggers_id"), table_name="refai_triggers")
    op.drop_table("refai_triggers")
