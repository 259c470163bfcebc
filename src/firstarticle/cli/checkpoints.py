"""Audit chain checkpoints written on a schedule by ``serve``, beside the ones people write
with ``audit checkpoint``: the chain is verified against the file's earlier checkpoints and
its head appended, so a rewrite of the database is caught at the next tick."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from firstarticle.audit import checkpoint_file
from firstarticle.audit.ledger import Checkpoint
from firstarticle.services import ServiceContext, audit

log = logging.getLogger("firstarticle.audit")


def write_checkpoint(ctx: ServiceContext, file: Path) -> Checkpoint:
    """Verify the chain against ``file``'s checkpoints, then append its head to ``file``."""
    mark = audit.checkpoint(ctx, checkpoint_file.read(file))
    checkpoint_file.append(file, mark)
    return mark


class CheckpointSchedule:
    """A daemon thread that writes a checkpoint at start and every ``interval`` seconds.

    A failure (a broken chain, the database away, the file not writable) is logged as an
    error and tried again at the next tick; it never stops the server.
    """

    def __init__(self, context: Callable[[], ServiceContext], file: Path, interval: float) -> None:
        self.context, self.file, self.interval = context, file, interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)

    def start(self) -> CheckpointSchedule:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def tick(self) -> Checkpoint | None:
        """Write one checkpoint now; None (and an error in the log) when it cannot."""
        try:
            mark = write_checkpoint(self.context(), self.file)
        except Exception as error:  # logged and retried: a checkpoint never stops the server
            log.error("audit checkpoint not written to %s: %s", self.file, error)
            return None
        log.info("audit checkpoint %s entries, head %s", mark.length, mark.head_hash)
        return mark

    def _run(self) -> None:
        self.tick()
        while not self.stopped.wait(self.interval):
            self.tick()
