"""The ``firstarticle`` command line, one Typer sub-application per noun.

Commands call services only and print clear messages; every command maps errors to exit
codes the same way (``cli.common.command``): 0 done, 1 refused, 2 unusable input.
"""

from __future__ import annotations

from typing import Annotated

import typer

from firstarticle.cli import (
    audit,
    common,
    coverage,
    decisions,
    fai,
    forms,
    holds,
    imports,
    notifications,
    operations,
    orders,
    parts,
    revision_orders,
    sites,
    tasks,
    triggers,
    users,
)

app = typer.Typer(
    help="First Article Inspection (AS9102) coordination.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as this firstarticle user, with their permissions "
            "(default: FIRSTARTICLE_USER, else a host operation).",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bars (for scripts; also FIRSTARTICLE_QUIET=1)."
        ),
    ] = False,
) -> None:
    """AS9102 First Article Inspection: records, readiness, signatures and the gate."""
    common.configure(as_user=as_user, quiet=quiet)


for name, command in (
    ("serve", operations.serve),
    ("doctor", operations.doctor),
    ("sync", operations.sync),
    ("watch", operations.watch),
    ("readiness", fai.fai_readiness),
    ("export", forms.export),
):
    app.command(name)(command)

for name, sub in (
    ("db", operations.db_app),
    ("demo", operations.demo_app),
    ("site", sites.site_app),
    ("customer", sites.customer_app),
    ("part", parts.part_app),
    ("work-order", orders.wo_app),
    ("fai", fai.fai_app),
    ("gate", holds.gate_app),
    ("hold", holds.hold_app),
    ("audit", audit.audit_app),
    ("import", imports.import_app),
    ("users", users.users_app),
    ("token", users.token_app),
    ("package", forms.package_app),
    ("revision-order", revision_orders.revision_order_app),
    ("tasks", tasks.tasks_app),
    ("notifications", notifications.notifications_app),
    ("webhooks", notifications.webhooks_app),
    ("outbox", notifications.outbox_app),
    ("trigger", triggers.trigger_app),
):
    app.add_typer(sub, name=name)
imports.import_app.command("form3-sheet")(forms.import_form3_sheet)
sites.customer_app.add_typer(decisions.channel_app, name="channel")
fai.fai_app.add_typer(decisions.decision_app, name="decision")

__all__ = ["app", "coverage"]
