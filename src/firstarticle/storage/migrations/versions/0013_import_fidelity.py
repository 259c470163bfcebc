"""Import fidelity (issue 17): basic and reference designators, the NC number a file states.

A basic (theoretically exact) or reference dimension is listed on Form 3 with its designator
and needs no result. The designator column is a VARCHAR checked against the enum's values;
this widens the check to ``basic`` and ``ref`` (the column's length is unchanged).
``inspection_results.nonconformance_number`` keeps the NC number a results file states for a
result, so that Form 3 field 11 shows it; ``stated_status`` the file's PASS / FAIL, and
``disagreement_resolved_by`` / ``disagreement_reason`` a person's resolution where it differs
from the computed conformance (a readiness finding until then).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_OLD = ("key", "critical", "major", "minor")
_NEW = (*_OLD, "basic", "ref")
_CHECK = "ck_characteristics_characteristicdesignator"


def _enum(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values,
        name="characteristicdesignator",
        native_enum=False,
        create_constraint=True,
        length=16,
    )


def _switch(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK: the batch copies the table with the new one.
        with op.batch_alter_table("characteristics", recreate="always") as batch_op:
            batch_op.alter_column(
                "designator", existing_type=_enum(old), type_=_enum(new), existing_nullable=True
            )
        return
    op.drop_constraint(op.f(_CHECK), "characteristics", type_="check")
    listed = ", ".join(f"'{v}'" for v in new)
    op.create_check_constraint(op.f(_CHECK), "characteristics", f"designator IN ({listed})")


def upgrade() -> None:
    _switch(_OLD, _NEW)
    with op.batch_alter_table("inspection_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nonconformance_number", sa.String(length=64)))
        batch_op.add_column(sa.Column("stated_status", sa.String(length=16)))
        batch_op.add_column(sa.Column("disagreement_resolved_by", sa.String(length=100)))
        batch_op.add_column(sa.Column("disagreement_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("inspection_results", schema=None) as batch_op:
        for column in (
            "disagreement_reason",
            "disagreement_resolved_by",
            "stated_status",
            "nonconformance_number",
        ):
            batch_op.drop_column(column)
    op.execute("UPDATE characteristics SET designator = NULL WHERE designator IN ('basic', 'ref')")
    _switch(_NEW, _OLD)
