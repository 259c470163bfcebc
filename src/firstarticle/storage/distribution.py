"""How the schema distributes by site (Citus), and the check that keeps it so.

Three kinds of table:

- **site-owned** (distributed by ``site_id``): every table with a ``site_id`` column unless
  listed below. Its primary key starts with ``site_id`` (never NULL), every unique
  constraint or index includes ``site_id``, and every foreign key to another site-owned table
  includes ``site_id``, so each row and everything it refers to live on one shard.
- **reference** (replicated to every node): the shared catalogue and identities that every
  site reads. They never refer to a site-owned table.
- **ledger** (one per installation, on the coordinator): the hash-chained audit trail, whose
  positions are assigned one at a time across all sites; its ``site_id`` is an attribute.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

REFERENCE_TABLES: Final = frozenset(
    {
        "sites",
        "customers",
        "customer_channels",  # a customer's channel versions, like the customer itself
        "parts",
        "part_revisions",
        "drawings",
        "characteristics",
        "bom_lines",  # an assembly revision's BOM, like its drawings (PLM's, every site's)
        "users",
        "api_tokens",
        "browser_sessions",
        "signing_nonces",
        "auth_failures",
        "idempotency_keys",
        "sync_cursors",
        "revision_orders",
        "review_templates",  # a customer's, read at every site
        "webhook_endpoints",  # receivers shared by the sites that subscribe them
    }
)
LEDGER_TABLES: Final = frozenset({"audit_entries", "audit_head"})


def site_owned(metadata: sa.MetaData) -> frozenset[str]:
    """The tables distributed by site: those with site_id, less reference and ledger."""
    return frozenset(
        t.name
        for t in metadata.sorted_tables
        if "site_id" in t.c and t.name not in REFERENCE_TABLES | LEDGER_TABLES
    )


def _names(
    columns: sa.ColumnCollection[str, sa.Column[object]] | list[sa.Column[object]],
) -> list[str]:
    return [c.name for c in columns]


def distribution_problems(metadata: sa.MetaData) -> list[str]:
    """Every way ``metadata`` would not distribute by site; empty when it would."""
    problems: list[str] = []
    owned = site_owned(metadata)
    for table in metadata.sorted_tables:
        name = table.name
        if name not in owned | REFERENCE_TABLES | LEDGER_TABLES:
            problems.append(
                f"{name}: no site_id and not declared a reference or ledger table "
                "(add site_id first in its key, or list it in storage/distribution.py)"
            )
            continue
        foreign_keys = [c for c in table.constraints if isinstance(c, sa.ForeignKeyConstraint)]
        if name not in owned:
            for fk in foreign_keys:
                if fk.referred_table.name in owned:
                    problems.append(
                        f"{name}: a {'reference' if name in REFERENCE_TABLES else 'ledger'} "
                        f"table refers to the site-owned {fk.referred_table.name}"
                    )
            continue
        key = _names(list(table.primary_key.columns))
        if not key or key[0] != "site_id":
            problems.append(f"{name}: primary key {key} does not start with site_id")
        if table.c.site_id.nullable:
            problems.append(f"{name}: site_id may be NULL")
        uniques = [
            (c.name, _names(list(c.columns)))
            for c in table.constraints
            if isinstance(c, sa.UniqueConstraint)
        ] + [(i.name, _names(list(i.columns))) for i in table.indexes if i.unique]
        for unique_name, columns in uniques:
            if "site_id" not in columns:
                problems.append(f"{name}: unique {unique_name} {columns} lacks site_id")
        for fk in foreign_keys:
            if fk.referred_table.name in owned and "site_id" not in _names(list(fk.columns)):
                problems.append(
                    f"{name}: foreign key {_names(list(fk.columns))} to the site-owned "
                    f"{fk.referred_table.name} lacks site_id"
                )
    return problems
