"""The audit ledger on a real database: append-only, hash-chained, tamper-evident."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from plant import a_plant, an_fai
from sqlalchemy import exc

from firstarticle.audit.ledger import GENESIS, Checkpoint, entry_hash
from firstarticle.services import audit, catalog
from firstarticle.storage import orm

A = orm.audit_entries


def some_history(ctx, entries: int = 20) -> None:
    plant = a_plant(ctx)
    while catalog.list_sites(ctx).total < 40:
        an_fai(ctx, plant)
        if _length(ctx) >= entries:
            return


def _length(ctx) -> int:
    return audit.verify_chain(ctx).length


def disable_guards(connection: sa.Connection) -> None:
    """What an attacker with the database owner's rights would do first."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
    else:
        connection.execute(sa.text("DROP TRIGGER audit_entries_no_update"))
        connection.execute(sa.text("DROP TRIGGER audit_entries_no_delete"))


def rows(connection: sa.Connection) -> list[dict]:
    return [dict(r) for r in connection.execute(sa.select(A).order_by(A.c.position)).mappings()]


@pytest.mark.requirement("R1", "R5")
def test_every_change_extends_a_valid_chain(ctx):
    """Entries are numbered 1..n, each hashing the one before; verify says ok."""
    some_history(ctx)
    verdict = audit.verify_chain(ctx)
    assert verdict.ok
    assert verdict.length >= 20


@pytest.mark.requirement("R4")
def test_the_database_refuses_update_delete_and_truncate(ctx, connection, figure):
    """Append-only is enforced below the application (3 of 3 on PostgreSQL)."""
    some_history(ctx)
    attempts = [
        sa.update(A).where(A.c.position == 1).values(reason="edited"),
        sa.delete(A).where(A.c.position == 2),
    ]
    if connection.dialect.name == "postgresql":
        attempts.append(sa.text("TRUNCATE audit_entries"))
    else:
        attempts.append(sa.delete(A))  # SQLite has no TRUNCATE; a bare DELETE is the same
    messages = []
    for statement in attempts:
        with pytest.raises(exc.DBAPIError) as refused, connection.begin_nested():
            connection.execute(statement)
        messages.append(str(refused.value))
    figure("R4", "UPDATE, DELETE, TRUNCATE refused", len(messages), "3 of 3")
    assert len(messages) == 3
    assert all("append-only" in m for m in messages)
    assert audit.verify_chain(ctx).ok


@pytest.mark.requirement("R5")
def test_a_modified_entry_is_detected_at_its_position(ctx, connection):
    """Changing the content of entry 5 breaks the chain at 5."""
    some_history(ctx)
    disable_guards(connection)
    connection.execute(sa.update(A).where(A.c.position == 5).values(actor="someone.else"))
    verdict = audit.verify_chain(ctx)
    assert (verdict.ok, verdict.first_bad_position) == (False, 5)
    assert "modified" in verdict.problem


@pytest.mark.requirement("R5")
def test_a_deleted_entry_is_detected_where_it_is_missing(ctx, connection):
    """Deleting entry 7 leaves a gap the verifier names."""
    some_history(ctx)
    disable_guards(connection)
    connection.execute(sa.delete(A).where(A.c.position == 7))
    verdict = audit.verify_chain(ctx)
    assert (verdict.ok, verdict.first_bad_position) == (False, 7)
    assert "missing" in verdict.problem


@pytest.mark.requirement("R5")
def test_an_inserted_entry_is_detected(ctx, connection):
    """A forged entry slipped in after 8, well hashed itself, breaks the link to the next."""
    some_history(ctx)
    disable_guards(connection)
    history = rows(connection)
    for row in reversed(history[8:]):
        connection.execute(
            sa.update(A).where(A.c.position == row["position"]).values(position=row["position"] + 1)
        )
    forged = {
        **history[7],
        "position": 9,
        "actor": "forger",
        "reason": "backdated approval",
        "prev_hash": history[7]["entry_hash"],
    }
    forged["entry_hash"] = entry_hash(forged)
    connection.execute(sa.insert(A).values(**forged))
    verdict = audit.verify_chain(ctx)
    assert (verdict.ok, verdict.first_bad_position) == (False, 10)


@pytest.mark.requirement("R5")
def test_swapped_entries_are_detected(ctx, connection):
    """Exchanging the positions of entries 3 and 4 breaks the chain at 3."""
    some_history(ctx)
    disable_guards(connection)
    connection.execute(sa.update(A).where(A.c.position == 3).values(position=-3))
    connection.execute(sa.update(A).where(A.c.position == 4).values(position=3))
    connection.execute(sa.update(A).where(A.c.position == -3).values(position=4))
    verdict = audit.verify_chain(ctx)
    assert (verdict.ok, verdict.first_bad_position) == (False, 3)


@pytest.mark.requirement("R5", "R6")
def test_a_truncated_tail_is_detected_against_a_checkpoint(ctx, connection):
    """Cutting the last entries leaves a valid shorter chain; the checkpoint shows the cut."""
    some_history(ctx)
    mark = audit.checkpoint(ctx)
    disable_guards(connection)
    connection.execute(sa.delete(A).where(A.c.position > mark.length - 4))
    assert audit.verify_chain(ctx).ok  # internally consistent, which is why checkpoints exist
    verdict = audit.verify_chain(ctx, [mark])
    assert (verdict.ok, verdict.first_bad_position) == (False, mark.length - 3)
    assert "truncated" in verdict.problem


@pytest.mark.requirement("R6")
def test_history_rewritten_consistently_after_a_checkpoint_is_detected(ctx, connection):
    """Re-hashing every entry after a change fools the chain, not the checkpoint."""
    some_history(ctx)
    mark = audit.checkpoint(ctx)
    disable_guards(connection)
    prev = GENESIS
    for row in rows(connection):
        if row["position"] == 6:
            row["actor"] = "rewriter"
        row["prev_hash"] = prev
        row["entry_hash"] = entry_hash(row)
        connection.execute(
            sa.update(A)
            .where(A.c.position == row["position"])
            .values(actor=row["actor"], prev_hash=row["prev_hash"], entry_hash=row["entry_hash"])
        )
        prev = row["entry_hash"]
    assert audit.verify_chain(ctx).ok
    verdict = audit.verify_chain(ctx, [mark])
    assert (verdict.ok, verdict.first_bad_position) == (False, mark.length)
    assert "checkpoint" in verdict.problem


def test_a_checkpoint_round_trips_through_its_file_line(ctx):
    """What `audit checkpoint` writes, `audit verify --checkpoints` reads back."""
    some_history(ctx)
    mark = audit.checkpoint(ctx)
    assert Checkpoint.parse(mark.line()) == mark
    assert audit.verify_chain(ctx, [Checkpoint.parse(mark.line())]).ok


def test_an_fais_trail_lists_its_changes_in_order(ctx):
    """The auditor's export holds the FAI's entries with actor, action and values."""
    plant = a_plant(ctx)
    fai = an_fai(ctx, plant).fai
    trail = audit.fai_trail(ctx, fai.fair_identifier)
    assert [e["action"] for e in trail] == ["first_article.created"]
    assert trail[0]["actor"] == "q.engineer"
    assert trail[0]["changes"]["fair_identifier"] == [None, fai.fair_identifier]
