"""The schema distributes by site: every site-owned table keys on site_id first (Citus-ready)."""

from __future__ import annotations

import sqlalchemy as sa

from firstarticle.storage import orm
from firstarticle.storage.distribution import (
    LEDGER_TABLES,
    REFERENCE_TABLES,
    distribution_problems,
    site_owned,
)


def test_every_table_of_the_schema_distributes_by_site() -> None:
    """No site-owned table without site_id first in its key, in its uniques and its links."""
    assert distribution_problems(orm.metadata) == []


def test_the_records_of_a_plant_are_site_owned() -> None:
    """FAIs, results, holds, gate decisions and signatures live on their site's shard."""
    owned = site_owned(orm.metadata)
    assert {
        "first_articles",
        "inspection_results",
        "holds",
        "hold_overrides",
        "gate_decisions",
        "signatures",
        "work_orders",
        "serial_numbers",
    } <= owned
    assert not owned & (REFERENCE_TABLES | LEDGER_TABLES)


def _plant_schema() -> tuple[sa.MetaData, sa.Table]:
    metadata = sa.MetaData()
    sa.Table("sites", metadata, sa.Column("id", sa.String, primary_key=True))
    fai = sa.Table(
        "first_articles",
        metadata,
        sa.Column("site_id", sa.String, sa.ForeignKey("sites.id"), primary_key=True),
        sa.Column("id", sa.String, primary_key=True),
    )
    return metadata, fai


def test_a_table_added_without_site_id_in_its_key_is_caught() -> None:
    """The check fails for a new table keyed by id alone, and for one not classified at all."""
    metadata, _ = _plant_schema()
    sa.Table(
        "task_notes",
        metadata,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("site_id", sa.String, nullable=False),
    )
    sa.Table("unclassified", metadata, sa.Column("id", sa.String, primary_key=True))
    problems = distribution_problems(metadata)
    assert any(p.startswith("task_notes: primary key ['id']") for p in problems)
    assert any(p.startswith("unclassified: no site_id") for p in problems)


def test_uniques_and_links_without_site_id_are_caught() -> None:
    """A unique over (number) and a link to an FAI by id alone would cross shards."""
    metadata, _ = _plant_schema()
    sa.Table(
        "results",
        metadata,
        sa.Column("site_id", sa.String, primary_key=True),
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("number", sa.String),
        sa.Column("fai_id", sa.String),
        sa.UniqueConstraint("number", name="uq_results_number"),
        sa.ForeignKeyConstraint(["fai_id"], ["first_articles.id"]),
    )
    problems = distribution_problems(metadata)
    assert any("uq_results_number ['number'] lacks site_id" in p for p in problems)
    assert any("foreign key ['fai_id'] to the site-owned first_articles" in p for p in problems)


def test_a_reference_table_may_not_point_into_a_site() -> None:
    metadata, _ = _plant_schema()
    sa.Table(
        "parts",
        metadata,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("first_fai", sa.String, sa.ForeignKey("first_articles.id")),
    )
    assert any(
        p.startswith("parts: a reference table refers") for p in distribution_problems(metadata)
    )
