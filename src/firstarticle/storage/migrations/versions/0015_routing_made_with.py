"""What a routing operation is made with and checked by (tooling, material, NC program,
inspection method) and the balloons it produces, the balloons a trigger's partial FAI starts
with, the notification topic of an opened re-FAI evaluation, and a customer's
re-FAI rule (a production lapse shorter than two years).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

MADE_WITH = ("tooling", "material", "nc_program", "inspection_method")
TOPICS_BEFORE = (
    "task_created",
    "task_overdue",
    "decision_rework",
    "decision_resubmission",
    "decision_containment",
    "hold_placed",
    "hold_released",
    "override_requested",
    "override_signed",
)
TOPICS = (*TOPICS_BEFORE, "evaluation_opened")


def _topics(values: tuple[str, ...]) -> None:
    """Let notification_subscriptions.topic take exactly ``values`` (same length: 29)."""
    listed = ", ".join(f"'{v}'" for v in values)
    table = "notification_subscriptions"
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK constraint: the table is copied with the new one.
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_topic"), type_="check")
            batch_op.create_check_constraint("topic", sa.text(f"topic IN ({listed})"))
        return
    op.drop_constraint(op.f(f"ck_{table}_topic"), table, type_="check")
    op.create_check_constraint("topic", table, sa.text(f"topic IN ({listed})"))


def upgrade() -> None:
    with op.batch_alter_table("routing_operations", schema=None) as batch_op:
        for name in MADE_WITH:
            batch_op.add_column(sa.Column(name, sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("balloons", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
    with op.batch_alter_table("refai_triggers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("affected_balloons", sa.JSON(), nullable=True))
    _topics(TOPICS)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refai_lapse_months", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("refai_lapse_months")
    _topics(TOPICS_BEFORE)
    with op.batch_alter_table("refai_triggers", schema=None) as batch_op:
        batch_op.drop_column("affected_balloons")
    with op.batch_alter_table("routing_operations", schema=None) as batch_op:
        batch_op.drop_column("balloons")
        for name in reversed(MADE_WITH):
            batch_op.drop_column(name)
