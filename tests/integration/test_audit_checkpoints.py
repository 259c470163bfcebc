"""Checkpoints written on a schedule outside the database (R6): each one is checked against
the file's earlier ones, so a chain cut short since the last tick is refused and reported."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from plant import a_plant, an_fai
from test_audit_ledger import A, disable_guards, some_history

from firstarticle.audit import checkpoint_file
from firstarticle.cli.checkpoints import CheckpointSchedule

pytestmark = pytest.mark.requirement("R6")


def test_each_tick_appends_a_head_consistent_with_the_earlier_ones(ctx, tmp_path: Path):
    """Two ticks with work between them: two lines, the second chain longer than the first."""
    file = tmp_path / "checkpoints.jsonl"
    schedule = CheckpointSchedule(lambda: ctx, file, interval=3600)
    plant = a_plant(ctx)
    first = schedule.tick()
    an_fai(ctx, plant)
    second = schedule.tick()
    assert [m.length for m in checkpoint_file.read(file)] == [first.length, second.length]
    assert second.length > first.length


def test_a_chain_cut_short_since_the_last_tick_is_refused_and_logged(
    ctx, connection, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """The database loses its last entries: the next tick writes nothing and logs an error."""
    file = tmp_path / "checkpoints.jsonl"
    schedule = CheckpointSchedule(lambda: ctx, file, interval=3600)
    some_history(ctx, entries=12)
    mark = schedule.tick()
    disable_guards(connection)
    connection.execute(sa.delete(A).where(A.c.position > mark.length - 3))
    with caplog.at_level(logging.ERROR, logger="firstarticle.audit"):
        assert schedule.tick() is None
    assert "not written" in caplog.text
    assert [m.length for m in checkpoint_file.read(file)] == [mark.length]


def test_the_schedule_runs_in_the_background_until_stopped(ctx, tmp_path: Path):
    """Started, it writes its first checkpoint at once; stopped, it writes no more."""
    file = tmp_path / "checkpoints.jsonl"
    some_history(ctx, entries=5)
    schedule = CheckpointSchedule(lambda: ctx, file, interval=3600).start()
    for _ in range(100):
        if file.exists() and file.read_text():
            break
        schedule.stopped.wait(0.05)
    schedule.stop()
    assert len(checkpoint_file.read(file)) == 1
    assert not schedule.thread.is_alive()


def test_a_file_that_is_not_a_checkpoint_file_is_refused_by_its_line(tmp_path: Path):
    """A damaged checkpoint file is named with its line, not silently ignored."""
    from firstarticle.domain.errors import ValidationError

    file = tmp_path / "checkpoints.jsonl"
    sound = '{"length": 3, "head_hash": "ab", "at": "2026-11-20T14:00:00+00:00"}'
    file.write_text(f"{sound}\nnot json\n")
    with pytest.raises(ValidationError) as refused:
        checkpoint_file.read(file)
    assert refused.value.details["field"] == "checkpoints"
