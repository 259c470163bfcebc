"""The hash-chained audit ledger: verify, checkpoint, export a trail."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from firstarticle.cli.common import (
    change_list,
    command,
    ctx,
    out,
    print_json,
    progress,
    refused,
    usage_error,
    warn,
)
from firstarticle.domain.text import spreadsheet_safe

audit_app = typer.Typer(help="The hash-chained audit ledger.", no_args_is_help=True)


def _checkpoints(path: Path | None) -> list[Any]:
    from firstarticle.audit import checkpoint_file

    return [] if path is None else checkpoint_file.read(path)


@audit_app.command("verify")
@command
def audit_verify(
    checkpoints: Annotated[
        Path | None, typer.Option(help="Checkpoint file to check against")
    ] = None,
) -> None:
    """Verify the whole chain; names the first bad entry and exits 1 if there is one.

    Without checkpoints a chain emptied or cut short at its end still links up; the command
    says so instead of calling it sound (exit 1 for an empty chain, a warning otherwise).
    """
    from firstarticle.services import audit

    marks = _checkpoints(checkpoints)
    with progress("audit chain") as step:
        verdict = audit.verify_chain(ctx(), marks, step)
    if verdict.ok and verdict.length == 0 and not marks:
        refused(
            "audit chain empty",
            "nothing to verify, and without a checkpoint an emptied chain cannot be told "
            "from a new one (pass --checkpoints FILE)",
            style="yellow",
        )
    if verdict.ok:
        against = f", consistent with {len(marks)} checkpoint(s)" if marks else ""
        out.print(f"audit chain ok: {verdict.length} entries, head {verdict.head_hash}{against}")
        if not marks:
            warn(
                "no checkpoint given; entries removed from the end of the chain cannot be "
                "detected without one ('audit checkpoint' writes them)"
            )
        return
    refused(
        f"audit chain broken at entry {verdict.first_bad_position}",
        f"{verdict.problem} ({verdict.length} entries verified before it)",
    )


@audit_app.command("checkpoint")
@command
def audit_checkpoint(
    file: Annotated[Path, typer.Option("--file", help="Append the head to this file")],
) -> None:
    """Write the verified head (length, hash, time) to a file outside the database.

    The chain is first checked against the checkpoints already in the file: a history
    rewritten or cut short since the last one is refused, not checkpointed over.
    """
    from firstarticle.cli.checkpoints import write_checkpoint

    mark = write_checkpoint(ctx(), file)
    out.print(f"checkpoint {mark.length} entries, head {mark.head_hash} -> {file}")


@audit_app.command("export")
@command
def audit_export(
    fair: str,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """An FAI's audit trail for an auditor: who did what, when, with old and new values."""
    import csv

    from firstarticle.services import audit

    entries = audit.fai_trail(ctx(), fair)
    columns = (
        "position",
        "at",
        "actor",
        "action",
        "record_type",
        "changes",
        "reason",
        "request_id",
        "entry_hash",
    )
    if fmt == "json":
        print_json([{c: e[c] for c in columns} for e in entries])
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for e in entries:
            writer.writerow(
                spreadsheet_safe(json.dumps(e[c], default=str) if c == "changes" else e[c])
                for c in columns
            )
    elif fmt == "table":
        table = Table(
            "#", "time (UTC)", "who", "what", "changes", "reason", title=f"audit trail of {fair}"
        )
        for e in entries:
            changes = change_list(e["changes"])
            table.add_row(
                str(e["position"]),
                e["at"].isoformat(timespec="seconds"),
                e["actor"],
                e["action"],
                changes,
                e["reason"] or "",
            )
        out.print(table)
    else:
        usage_error("--format is table, csv or json")
