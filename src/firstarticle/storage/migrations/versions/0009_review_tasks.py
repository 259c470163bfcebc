"""Review workflow: templates per customer, tasks per FAI, role leads per site.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_review_templates_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_templates")),
        sa.UniqueConstraint(
            "customer_id", "version", name=op.f("uq_review_templates_customer_id_version")
        ),
    )
    op.create_table(
        "role_leads",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_role_leads_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "role", name=op.f("pk_role_leads")),
    )
    op.create_table(
        "review_tasks",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("first_article_id", sa.String(length=36), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "review",
                "rework",
                "resubmission",
                "containment",
                name="taskkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "cancelled",
                name="taskstatus",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=40), nullable=True),
        sa.Column("stage_index", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column(
            "guards",
            sa.Enum(
                "start",
                "request_review",
                "return_to_work",
                "approve_internally",
                "submit",
                "approve",
                "accept_conditionally",
                "reject",
                "rework",
                "cancel",
                "supersede",
                name="faiaction",
                native_enum=False,
                create_constraint=True,
                length=28,
            ),
            nullable=True,
        ),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("signature_required", sa.Boolean(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("escalated_to", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id", "first_article_id"],
            ["first_articles.site_id", "first_articles.id"],
            name=op.f("fk_review_tasks_site_id_first_article_id_first_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_review_tasks_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_review_tasks")),
    )
    op.create_index(
        "ix_review_tasks_assignee", "review_tasks", ["assignee", "status"], unique=False
    )
    op.create_index(
        "ix_review_tasks_fai", "review_tasks", ["site_id", "first_article_id"], unique=False
    )
    op.create_index(op.f("ix_review_tasks_id"), "review_tasks", ["id"], unique=False)
    op.create_index(
        "ix_review_tasks_inbox",
        "review_tasks",
        ["site_id", "status", "role", "due_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_review_tasks_inbox", table_name="review_tasks")
    op.drop_index(op.f("ix_review_tasks_id"), table_name="review_tasks")
    op.drop_index("ix_review_tasks_fai", table_name="review_tasks")
    op.drop_index("ix_review_tasks_assignee", table_name="review_tasks")
    op.drop_table("review_tasks")
    op.drop_table("role_leads")
    op.drop_table("review_templates")
