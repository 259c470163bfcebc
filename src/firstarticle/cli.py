"""The ``firstarticle`` command line: calls services only, prints clear messages."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from firstarticle import bootstrap
from firstarticle.config import Settings, get_settings
from firstarticle.domain import model
from firstarticle.domain.access import (
    AuthenticationError,
    AuthMethod,
    AuthorizationKind,
    Permission,
    Role,
)
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import DomainError
from firstarticle.domain.holds import Decision, GateKind, HoldKind, HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.mirror import SourceSystem
from firstarticle.domain.operations import healthy
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.values import AttributeResult
from firstarticle.logs import logging_config
from firstarticle.services import (
    ServiceContext,
    catalog,
    first_articles,
    gate,
    holds,
    identity,
    orders,
    signatures,
)

app = typer.Typer(
    help="First Article Inspection (AS9102) coordination.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo plant.", no_args_is_help=True)
site_app = typer.Typer(help="Sites (plants).", no_args_is_help=True)
customer_app = typer.Typer(help="Customers.", no_args_is_help=True)
part_app = typer.Typer(help="Parts, revisions and characteristics.", no_args_is_help=True)
wo_app = typer.Typer(help="Work orders and serials.", no_args_is_help=True)
fai_app = typer.Typer(help="First articles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(site_app, name="site")
app.add_typer(customer_app, name="customer")
app.add_typer(part_app, name="part")
app.add_typer(wo_app, name="work-order")
app.add_typer(fai_app, name="fai")
gate_app = typer.Typer(help="The shipment / production gate.", no_args_is_help=True)
hold_app = typer.Typer(help="Holds and their two-person overrides.", no_args_is_help=True)
app.add_typer(gate_app, name="gate")
audit_app = typer.Typer(help="The hash-chained audit ledger.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
import_app = typer.Typer(
    help="Imports: records, results and characteristics.", no_args_is_help=True
)
app.add_typer(import_app, name="import")
app.add_typer(hold_app, name="hold")
users_app = typer.Typer(help="People and integration accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens of systems and scripts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(token_app, name="token")

out = Console()
err = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def _actor() -> str:
    return os.environ.get("FIRSTARTICLE_ACTOR") or getpass.getuser() or "cli"


_application: bootstrap.Application | None = None


def application() -> bootstrap.Application:
    """The process's application, wired once from the environment."""
    global _application
    if _application is None:
        _application = bootstrap.build(get_settings())
    return _application


def ctx() -> ServiceContext:
    """A service context for the person at the keyboard.

    With ``--as USER`` (or FIRSTARTICLE_USER) the command acts as that firstarticle user,
    with exactly their roles, sites and export authorizations. Without it, the command is a
    host operation by whoever holds the database credentials on this machine, attributed to
    them by name (FIRSTARTICLE_ACTOR, else the OS user).
    """
    username = _as_user or os.environ.get("FIRSTARTICLE_USER")
    base = application().context(_actor())
    if not username:
        return base
    with base.uow_factory() as uow:
        user = uow.identity.by_username(username)
    if user is None or not user.active:
        raise AuthenticationError(f"No active user {username}.")
    return base.as_principal(user.principal(AuthMethod.LOCAL))


_as_user: str | None = None


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
) -> None:
    """AS9102 First Article Inspection: records, readiness, signatures and the gate."""
    global _as_user
    _as_user = as_user


def cli_command(func: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into a one-line message and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            err.print(f"[red]error[/red] ({error.code}): {error.message}", highlight=False)
            for finding in error.details.get("findings", []):
                err.print(
                    f"  - {getattr(finding, 'rule', '')}: {getattr(finding, 'message', finding)}",
                    highlight=False,
                )
            raise typer.Exit(1) from None

    return wrapper


def _decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        err.print(f"[red]error[/red]: {name} is not a decimal number: {text!r}")
        raise typer.Exit(2) from None


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data, default=str))


# --- operations ---------------------------------------------------------------------------


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option(help="Load the demo plant if the database is empty.")
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (2 x cores is a good start).")
    ] = 1,
) -> None:
    """Upgrade the database and serve the HTTP API (and the demo plant with --demo)."""
    import logging.config
    import tempfile

    import uvicorn

    settings = get_settings()
    log_config = logging_config(settings.log_format, settings.log_level)
    logging.config.dictConfig(log_config)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        err.print("[yellow]warning[/yellow]: several workers on SQLite serialise every write")
    bootstrap.upgrade_database(settings.database_url)
    if demo or settings.demo:
        _load_demo(only_if_empty=True)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its counters there; /metrics adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="firstarticle-metrics-")
    out.print(
        f"firstarticle on http://{host}:{port} with {workers} worker(s) "
        f"(database: {_safe_url(settings)})"
    )
    uvicorn.run(
        "firstarticle.api.served:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        proxy_headers=True,
        server_header=False,
    )


@app.command()
@cli_command
def doctor(
    skip_audit: Annotated[
        bool, typer.Option("--skip-audit", help="Do not verify the audit chain (large ledgers).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check the installation for a validation engineer; exit 1 on a dangerous setting."""
    checks = application().doctor(verify_audit=not skip_audit)
    if as_json:
        _print_json([{"id": c.id, "status": str(c.status), "detail": c.detail} for c in checks])
    else:
        table = Table("check", "status", "detail", title="firstarticle doctor")
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}
        for c in checks:
            table.add_row(c.id, f"[{colour[c.status]}]{c.status}[/]", c.detail)
        out.print(table)
    if not healthy(checks):
        failed = ", ".join(c.id for c in checks if c.status == "fail")
        err.print(f"[red]error[/red] (installation_unsound): {failed}", highlight=False)
        raise typer.Exit(1)


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@db_app.command("upgrade")
@cli_command
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Bring the database schema up to date (safe to repeat)."""
    settings = get_settings()
    bootstrap.upgrade_database(settings.database_url, revision)
    out.print(f"database at {revision}: {_safe_url(settings)}")


@db_app.command("backup")
@cli_command
def db_backup(
    out_file: Annotated[Path, typer.Option("--out", help="The archive to write (a zip file).")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write every table and the audit chain's head to one archive, from one snapshot.

    The archive restores on SQLite or PostgreSQL alike; exits 1 if the audit chain does not
    verify (the archive is still written, for the investigation).
    """
    if out_file.exists() and not overwrite:
        err.print(f"[red]error[/red]: {out_file} exists; pass --overwrite to replace it")
        raise typer.Exit(2)
    report = application().backup(out_file)
    out.print(
        f"backup {out_file}: {report.rows} rows in {len(report.tables)} tables, "
        f"audit chain {report.audit_length} entries (head {report.audit_head_hash}), "
        f"revision {report.revision}, {report.size_bytes} bytes, {report.seconds:.2f} s",
        highlight=False,
    )
    if not report.audit_ok:
        err.print(
            f"[red]audit chain broken[/red]: {report.audit_problem}; a restore of this "
            "archive will be refused until the chain is repaired",
            highlight=False,
        )
        raise typer.Exit(1)


@db_app.command("restore")
@cli_command
def db_restore(
    archive: Annotated[
        Path, typer.Argument(help="An archive written by 'db backup'.", exists=True, dir_okay=False)
    ],
) -> None:
    """Restore an archive into an empty database at the archive's schema revision.

    All or nothing: every table's count and hash and the audit chain are checked against
    the archive before the restore commits.
    """
    report = application().restore(archive)
    out.print(
        f"restored {archive}: {report.rows} rows in {len(report.tables)} tables from a "
        f"{report.source_dialect} backup of {report.created_at}, audit chain ok "
        f"({report.audit_length} entries, head {report.audit_head_hash}), "
        f"{report.seconds:.2f} s",
        highlight=False,
    )


@demo_app.command("load")
@cli_command
def demo_load() -> None:
    """Load the demo plant (two sites, customers, parts, FAIs in every status)."""
    bootstrap.upgrade_database(get_settings().database_url)
    _load_demo(only_if_empty=False)


def _load_demo(only_if_empty: bool) -> None:
    from rich.progress import Progress

    from firstarticle.demo import loader

    context = ctx()
    if only_if_empty and catalog.list_sites(context, 1, 0).total:
        out.print("demo: the database already holds data; nothing loaded")
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("loading the demo plant", total=None)

        def step(label: str, done: int, total: int) -> None:
            progress.update(task, description=f"demo: {label}", completed=done, total=total)

        summary = loader.load(application().context("demo-loader"), progress=step)
    out.print(f"demo plant loaded: {summary}")


# --- reference records --------------------------------------------------------------------


@site_app.command("create")
@cli_command
def site_create(code: str, name: str, timezone: str = "UTC") -> None:
    """Create a site."""
    site = catalog.create_site(ctx(), code=code, name=name, timezone=timezone)
    out.print(f"site {site.code} created ({site.id})")


@site_app.command("list")
@cli_command
def site_list(limit: int = 50, offset: int = 0) -> None:
    """List sites."""
    page = catalog.list_sites(ctx(), limit, offset)
    table = Table("code", "name", "timezone", "id")
    for site in page.items:
        table.add_row(site.code, site.name, site.timezone, site.id)
    out.print(table)


@customer_app.command("create")
@cli_command
def customer_create(
    code: str,
    name: str,
    channel: model.CustomerChannel = model.CustomerChannel.PORTAL,
    vendor_code: str | None = None,
    ships_on_conditional_acceptance: bool = False,
) -> None:
    """Create a customer and the channel it decides FAIs in."""
    customer = catalog.create_customer(
        ctx(),
        code=code,
        name=name,
        channel=channel,
        vendor_code=vendor_code,
        ships_on_conditional_acceptance=ships_on_conditional_acceptance,
    )
    out.print(f"customer {customer.code} created ({customer.id})")


@customer_app.command("list")
@cli_command
def customer_list(limit: int = 50, offset: int = 0) -> None:
    """List customers."""
    table = Table("code", "name", "channel", "vendor code")
    for c in catalog.list_customers(ctx(), limit, offset).items:
        table.add_row(c.code, c.name, c.channel.value, c.vendor_code or "")
    out.print(table)


@part_app.command("create")
@cli_command
def part_create(number: str, name: str) -> None:
    """Create a part number."""
    part = catalog.create_part(ctx(), number=number, name=name)
    out.print(f"part {part.number} created ({part.id})")


@part_app.command("add-revision")
@cli_command
def part_add_revision(
    number: str,
    revision: str,
    drawing: Annotated[list[str], typer.Option(help="NUMBER:REV, repeatable")],
    status: model.RevisionStatus = model.RevisionStatus.RELEASED,
    mbd: Annotated[bool, typer.Option(help="The drawings are model-based definitions.")] = False,
) -> None:
    """Add a revision defined by one or more drawings (NUMBER:REV)."""
    specs = []
    for item in drawing:
        dnum, _, drev = item.partition(":")
        if not dnum or not drev:
            err.print(f"[red]error[/red]: --drawing takes NUMBER:REV, not {item!r}")
            raise typer.Exit(2)
        kind = model.DefinitionKind.MODEL_BASED_DEFINITION if mbd else model.DefinitionKind.DRAWING
        specs.append(catalog.DrawingSpec(dnum, drev, kind))
    part = catalog.part_by_number(ctx(), number)
    rev = catalog.add_revision(ctx(), part.id, revision=revision, drawings=specs, status=status)
    out.print(f"{part.number} rev {rev.revision} added ({rev.id})")


@part_app.command("add-characteristic")
@cli_command
def part_add_characteristic(
    number: str,
    revision: str,
    drawing: str,
    balloon: str,
    ctype: model.CharacteristicType = model.CharacteristicType.DIMENSIONAL,
    requirement: str | None = None,
    nominal: str | None = None,
    plus: str | None = None,
    minus: str | None = None,
    low: str | None = None,
    high: str | None = None,
    units: str | None = None,
    sheet: str | None = None,
    zone: str | None = None,
    designator: model.CharacteristicDesignator | None = None,
) -> None:
    """Add a ballooned characteristic: --nominal/--plus/--minus, --low/--high, or --requirement."""
    part = catalog.part_by_number(ctx(), number)
    rev = _found(part.revision(revision), f"{number} rev {revision}")
    spec = catalog.CharacteristicSpec(
        balloon=balloon,
        ctype=ctype,
        requirement=requirement,
        nominal=_decimal(nominal, "nominal"),
        upper_tolerance=_decimal(plus, "plus"),
        lower_tolerance=_decimal(minus, "minus"),
        lower_limit=_decimal(low, "low"),
        upper_limit=_decimal(high, "high"),
        units=units,
        sheet=sheet,
        zone=zone,
        designator=designator,
    )
    (c,) = catalog.add_characteristics(ctx(), rev.id, drawing, [spec])
    out.print(f"balloon {c.balloon}: {c.requirement.text}")


def _found(value: R | None, what: str) -> R:
    if value is None:
        err.print(f"[red]error[/red] (not_found): {what} does not exist.")
        raise typer.Exit(1)
    return value


@part_app.command("show")
@cli_command
def part_show(number: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a part, its revisions, drawings and characteristics."""
    part = catalog.part_by_number(ctx(), number)
    if as_json:
        _print_json(
            {
                "number": part.number,
                "name": part.name,
                "revisions": [
                    {
                        "revision": r.revision,
                        "status": r.status.value,
                        "drawings": [
                            {
                                "number": d.number,
                                "revision": d.revision,
                                "characteristics": [
                                    {
                                        "balloon": c.balloon,
                                        "type": c.ctype.value,
                                        "requirement": c.requirement.text,
                                    }
                                    for c in d.characteristics
                                ],
                            }
                            for d in r.drawings
                        ],
                    }
                    for r in part.revisions
                ],
            }
        )
        return
    out.print(f"[bold]{part.number}[/bold] {part.name}")
    for rev in part.revisions:
        for d in rev.drawings:
            table = Table(
                "balloon",
                "type",
                "requirement",
                "designator",
                "location",
                title=f"rev {rev.revision} ({rev.status.value}) - drawing {d.number} "
                f"rev {d.revision}",
            )
            for c in d.characteristics:
                table.add_row(
                    c.balloon,
                    c.ctype.value,
                    c.requirement.text,
                    c.designator.value if c.designator else "",
                    c.reference_location or "",
                )
            out.print(table)


# --- work orders --------------------------------------------------------------------------


@wo_app.command("create")
@cli_command
def wo_create(
    site: str,
    number: str,
    part: str,
    revision: str,
    quantity: int,
    customer: str | None = None,
    router: str | None = None,
    lot: str | None = None,
    purchase_order: str | None = None,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
) -> None:
    """Create a work order at SITE for PART rev REVISION."""
    c = ctx()
    site_rec = catalog.site_by_code(c, site)
    rev = _found(catalog.part_by_number(c, part).revision(revision), f"{part} rev {revision}")
    customer_id = catalog.customer_by_code(c, customer).id if customer else None
    wo = orders.create_work_order(
        c,
        site_id=site_rec.id,
        number=number,
        part_revision_id=rev.id,
        quantity=quantity,
        customer_id=customer_id,
        router=router,
        lot=lot,
        purchase_order=purchase_order,
        serial_numbers=serial or [],
    )
    out.print(f"work order {wo.number} created at {site_rec.code} ({wo.id})")


# --- first articles -----------------------------------------------------------------------


def _fai(fair: str) -> first_articles.FirstArticleDetail:
    return first_articles.first_article_by_fair(ctx(), fair)


@fai_app.command("create")
@cli_command
def fai_create(
    site: str,
    work_order: str,
    reason: str,
    fai_type: model.FaiType = model.FaiType.DETAIL,
    scope: model.FaiScope = model.FaiScope.FULL,
    balloon: Annotated[
        list[str] | None, typer.Option(help="Partial FAI: balloon, repeatable")
    ] = None,
    serial: Annotated[list[str] | None, typer.Option(help="Serial in scope, repeatable")] = None,
    baseline_part: str | None = None,
    baseline_revision: str | None = None,
    baseline_fair: str | None = None,
) -> None:
    """Open an FAI in draft for a work order."""
    c = ctx()
    wo = orders.work_order_by_number(c, catalog.site_by_code(c, site).id, work_order)
    detail = first_articles.create_first_article(
        c,
        work_order_id=wo.id,
        fai_type=fai_type,
        scope=scope,
        reason=reason,
        balloons=balloon,
        serial_numbers=serial,
        baseline_part_number=baseline_part,
        baseline_part_revision=baseline_revision,
        baseline_fair_identifier=baseline_fair,
    )
    out.print(
        f"{detail.fai.fair_identifier} created in draft with "
        f"{len(detail.fai.form3)} characteristics"
    )


@fai_app.command("list")
@cli_command
def fai_list(
    site: str | None = None,
    status: FaiStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List FAIs, newest first."""
    c = ctx()
    site_id = catalog.site_by_code(c, site).id if site else None
    page = first_articles.list_first_articles(
        c, site_id=site_id, status=status, limit=limit, offset=offset
    )
    if as_json:
        _print_json(
            {
                "total": page.total,
                "items": [
                    {"fair_identifier": f.fair_identifier, "status": f.status.value, "id": f.id}
                    for f in page.items
                ],
            }
        )
        return
    table = Table(
        "FAIR", "status", "type", "scope", "attempt", title=f"{page.total} first articles"
    )
    for f in page.items:
        table.add_row(
            f.fair_identifier,
            f.status.label,
            f.fai_type.value,
            f.scope.value,
            str(f.submission_attempt),
        )
    out.print(table)


@fai_app.command("show")
@cli_command
def fai_show(fair: str) -> None:
    """Show an FAI: Form 1 essentials and Form 3 with results."""
    d = _fai(fair)
    f1 = d.form1
    out.print(
        f"[bold]{f1.fair_identifier}[/bold]  {d.fai.status.label}  "
        f"{f1.part_number} rev {f1.part_revision} {f1.part_name}"
    )
    out.print(
        f"  {f1.fai_type.value} / {f1.scope.value}  {f1.manufacturing_process_reference}  "
        f"at {f1.organization_name}"
    )
    out.print(
        f"  serials: {', '.join(f1.serial_numbers) or '-'}   documented nonconformances "
        f"(field 19): {'Yes' if f1.documented_nonconformances else 'No'}"
    )
    table = Table("char", "requirement", "results", "NC")
    for line in d.form3:
        results = "; ".join(
            f"{r.serial_number or ''} {r.value if r.value is not None else r.attribute} "
            f"{'OK' if r.conformance == 'conforming' else 'NOK'}".strip()
            for r in line.results
            if not r.superseded
        )
        table.add_row(
            line.char_no, line.requirement, results or "-", ", ".join(line.nonconformance_numbers)
        )
    out.print(table)


@fai_app.command("readiness")
@cli_command
def fai_readiness(fair: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Readiness findings; exits 3 when blocking findings exist."""
    d = _fai(fair)
    blocking = [f for f in d.findings if f.blocking]
    if as_json:
        _print_json(
            {
                "fair_identifier": fair,
                "ready": not blocking,
                "findings": [
                    {
                        "rule": f.rule,
                        "severity": f.severity.value,
                        "message": f.message,
                        "records": [
                            {"type": r.type, "id": r.id, "label": r.label} for r in f.records
                        ],
                    }
                    for f in d.findings
                ],
            }
        )
    else:
        table = Table(
            "rule",
            "severity",
            "finding",
            title=f"{fair}: {'ready' if not blocking else 'not ready'}",
        )
        for f in d.findings:
            table.add_row(f.rule, f.severity.value, f.message)
        out.print(table)
    if blocking:
        raise typer.Exit(3)


app.command("readiness")(fai_readiness)


@fai_app.command("transition")
@cli_command
def fai_transition(
    fair: str, action: FaiAction, reason: str | None = None, superseded_by: str | None = None
) -> None:
    """Move an FAI through the lifecycle (start, request_review, submit, ...)."""
    d = first_articles.transition(
        ctx(), _fai(fair).fai.id, action, reason=reason, superseded_by=superseded_by
    )
    out.print(f"{fair} is now {d.fai.status.label.lower()}")


@fai_app.command("result")
@cli_command
def fai_result(
    fair: str,
    balloon: str,
    value: str | None = None,
    units: str | None = None,
    attribute: AttributeResult | None = None,
    serial: str | None = None,
    operator: str | None = None,
    device: str | None = None,
    source: model.ResultSource = model.ResultSource.MANUAL_ENTRY,
    measured_at: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%dT%H:%M:%S%z"])] = None,
) -> None:
    """Record a measured value (--value --units) or an attribute verdict (--attribute)."""
    item = first_articles.ResultInput(
        balloon=balloon,
        measured_at=measured_at or datetime.now(UTC),
        source=source,
        value=_decimal(value, "value"),
        units=units,
        attribute=attribute,
        serial_number=serial,
        operator=operator,
        device=device,
    )
    (result,) = first_articles.record_results(ctx(), _fai(fair).fai.id, [item])
    out.print(f"result recorded for balloon {balloon} ({result.id})")


@fai_app.command("verify-result")
@cli_command
def fai_verify_result(fair: str, result_id: str) -> None:
    """Verify a manually entered result as a second person."""
    first_articles.verify_result(ctx(), _fai(fair).fai.id, result_id)
    out.print(f"result {result_id} verified by {_actor()}")


@fai_app.command("link-nc")
@cli_command
def fai_link_nc(
    fair: str,
    number: str,
    kind: model.NonconformanceKind = model.NonconformanceKind.NONCONFORMANCE,
    status: model.NonconformanceStatus = model.NonconformanceStatus.OPEN,
    disposition: model.Disposition | None = None,
    balloon: Annotated[list[str] | None, typer.Option(help="Affected balloon, repeatable")] = None,
    title: str | None = None,
) -> None:
    """Link a QMS nonconformance, deviation, concession or rework."""
    first_articles.link_nonconformance(
        ctx(),
        _fai(fair).fai.id,
        kind=kind,
        number=number,
        status=status,
        disposition=disposition,
        title=title,
        balloons=balloon or [],
    )
    out.print(f"{kind.value} {number} linked to {fair}")


@fai_app.command("decision")
@cli_command
def fai_decision(
    fair: str,
    outcome: model.DecisionOutcome,
    decided_by: str,
    reference: str | None = None,
    comments: str | None = None,
) -> None:
    """Record the customer's decision as made in its channel."""
    d = first_articles.record_customer_decision(
        ctx(),
        _fai(fair).fai.id,
        outcome=outcome,
        decided_by=decided_by,
        decided_at=datetime.now(UTC),
        reference=reference,
        comments=comments,
    )
    out.print(f"{fair} is now {d.fai.status.label.lower()}")


@fai_app.command("audit")
@cli_command
def fai_audit(fair: str) -> None:
    """The FAI's audit trail."""
    table = Table("#", "time (UTC)", "actor", "action", "changes", "reason")
    for e in first_articles.audit_trail(ctx(), _fai(fair).fai.id):
        table.add_row(
            str(e["position"]),
            e["at"].isoformat(timespec="seconds"),
            e["actor"],
            e["action"],
            json.dumps(e["changes"], default=str)[:120],
            e["reason"] or "",
        )
    out.print(table)


# --- gate and holds -----------------------------------------------------------------------


@gate_app.command("check")
@cli_command
def gate_check(
    site: str,
    customer: str,
    part: str,
    revision: str,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
    lot: str | None = None,
    work_order: str | None = None,
    kind: GateKind = GateKind.SHIPMENT,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the gate; prints allow or deny with reasons, exits 0 on allow and 4 on deny."""
    answer = gate.check(
        ctx(),
        gate.GateRequest(
            site=site,
            customer=customer,
            part_number=part,
            part_revision=revision,
            kind=kind,
            serial_numbers=tuple(serial or ()),
            lot=lot,
            work_order=work_order,
        ),
    )
    if as_json:
        _print_json(
            {
                "decision": answer.decision.value,
                "decision_id": answer.decision_id,
                "reasons": [{"code": r.code, "message": r.message} for r in answer.reasons],
            }
        )
    else:
        colour = "green" if answer.decision is Decision.ALLOW else "red"
        out.print(
            f"[{colour}]{answer.decision.value.upper()}[/{colour}]  (decision {answer.decision_id})"
        )
        for r in answer.reasons:
            out.print(f"  {r.code}: {r.message}", highlight=False)
    if answer.decision is not Decision.ALLOW:
        raise typer.Exit(4)


@hold_app.command("list")
@cli_command
def hold_list(
    site: str | None = None,
    status: HoldStatus | None = HoldStatus.ACTIVE,
    limit: int = 50,
    offset: int = 0,
) -> None:
    """List holds (active ones by default)."""
    c = ctx()
    site_id = catalog.site_by_code(c, site).id if site else None
    page = holds.list_holds(c, site_id=site_id, status=status, limit=limit, offset=offset)
    table = Table(
        "id", "kind", "status", "placed", "reason", "overrides", title=f"{page.total} holds"
    )
    for h in page.items:
        table.add_row(
            h.id,
            h.kind.value,
            h.status.value,
            f"{h.placed_at:%Y-%m-%d %H:%M} {h.placed_by}",
            h.reason,
            str(len(h.overrides)),
        )
    out.print(table)


@hold_app.command("place")
@cli_command
def hold_place(
    site: str,
    part: str,
    revision: str,
    reason: str,
    kind: HoldKind = HoldKind.SHIPMENT,
    customer: str | None = None,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
    lot: Annotated[list[str] | None, typer.Option(help="Lot, repeatable")] = None,
) -> None:
    """Place a hold by hand, with a reason."""
    c = ctx()
    rev = _found(catalog.part_by_number(c, part).revision(revision), f"{part} rev {revision}")
    hold = holds.place_hold(
        c,
        site_id=catalog.site_by_code(c, site).id,
        kind=kind,
        part_revision_id=rev.id,
        reason=reason,
        customer_id=catalog.customer_by_code(c, customer).id if customer else None,
        serial_numbers=serial or [],
        lots=lot or [],
    )
    out.print(f"{kind.value} hold placed ({hold.id})")


@hold_app.command("override")
@cli_command
def hold_override(
    hold_id: str,
    reason: str,
    hours: Annotated[float, typer.Option(help="Expiry, in hours from now")] = 24,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
    lot: Annotated[list[str] | None, typer.Option(help="Lot, repeatable")] = None,
) -> None:
    """Request an override (first signature); a second person signs it with `hold sign`."""
    override = holds.request_override(
        ctx(),
        hold_id,
        reason=reason,
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
        serial_numbers=serial or [],
        lots=lot or [],
    )
    out.print(f"override {override.id} requested; it counts once a second person signs it")


@hold_app.command("sign")
@cli_command
def hold_sign(
    hold_id: str,
    override_id: str,
    totp: Annotated[str | None, typer.Option(help="TOTP code, where enrolled.")] = None,
) -> None:
    """Second signature of an override, by a different person (--as USER), who gives their
    password again: an electronic signature bound to the override."""
    c, nonce, password = _signer()
    signed = signatures.sign_override(
        c, hold_id, override_id, nonce=nonce, password=password, totp_code=totp
    )
    out.print(
        f"override {signed.override.id} effective until "
        f"{signed.override.expires_at.isoformat()}; {signed.signature.manifestation}",
        highlight=False,
    )


def _signer() -> tuple[ServiceContext, str, str]:
    """The --as user as a person about to sign: a fresh nonce, and the password asked again."""
    c = ctx()
    if c.principal.method is not AuthMethod.LOCAL or c.principal.user_id.startswith("local:"):
        raise AuthenticationError("Name the signer with --as USER (or FIRSTARTICLE_USER).")
    signer = c.as_principal(replace(c.principal, method=AuthMethod.PASSWORD_SESSION))
    nonce, _ = identity.issue_signing_nonce(signer)
    password = typer.prompt(f"Password of {signer.actor}", hide_input=True)
    return signer, nonce, password


@fai_app.command("sign")
@cli_command
def fai_sign(
    fair: str,
    meaning: Annotated[
        SignatureMeaning, typer.Option(help="verified (field 20) or reviewed_approved (field 22).")
    ],
    totp: Annotated[str | None, typer.Option(help="TOTP code, where enrolled.")] = None,
) -> None:
    """Sign an FAI as the --as user, who gives their password again; the signature performs
    the transition (field 20: review, field 22: internal approval)."""
    c, nonce, password = _signer()
    detail = first_articles.first_article_by_fair(c, fair)
    signatures.sign_first_article(
        c, detail.fai.id, meaning, nonce=nonce, password=password, totp_code=totp
    )
    for view in signatures.signatures_of(c, detail.fai.id):
        if view.valid:
            out.print(view.manifestation, highlight=False)


# --- audit ---------------------------------------------------------------------------------


def _checkpoints(path: Path | None) -> list[Any]:
    from firstarticle.audit.ledger import Checkpoint

    if path is None or not path.exists():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    try:
        return [Checkpoint.parse(line) for line in lines]
    except (ValueError, KeyError) as error:
        err.print(f"[red]error[/red]: {path} is not a checkpoint file ({error})")
        raise typer.Exit(2) from None


@audit_app.command("verify")
@cli_command
def audit_verify(
    checkpoints: Annotated[
        Path | None, typer.Option(help="Checkpoint file to check against")
    ] = None,
) -> None:
    """Verify the whole chain; names the first bad entry and exits 1 if there is one."""
    from firstarticle.services import audit

    verdict = audit.verify_chain(ctx(), _checkpoints(checkpoints))
    if verdict.ok:
        out.print(f"audit chain ok: {verdict.length} entries, head {verdict.head_hash}")
        return
    err.print(
        f"[red]audit chain broken[/red] at entry {verdict.first_bad_position}: "
        f"{verdict.problem} ({verdict.length} entries verified before it)"
    )
    raise typer.Exit(1)


@audit_app.command("checkpoint")
@cli_command
def audit_checkpoint(
    file: Annotated[Path, typer.Option("--file", help="Append the head to this file")],
) -> None:
    """Write the verified head (length, hash, time) to a file outside the database."""
    from firstarticle.services import audit

    mark = audit.checkpoint(ctx())
    with file.open("a", encoding="utf-8") as handle:
        handle.write(mark.line() + "\n")
    out.print(f"checkpoint {mark.length} entries, head {mark.head_hash} -> {file}")


@audit_app.command("export")
@cli_command
def audit_export(
    fair: str,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """An FAI's audit trail for an auditor: who did what, when, with old and new values."""
    import csv
    import sys

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
        _print_json([{c: e[c] for c in columns} for e in entries])
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for e in entries:
            writer.writerow(
                [json.dumps(e[c], default=str) if c == "changes" else e[c] for c in columns]
            )
    elif fmt == "table":
        table = Table(
            "#", "time (UTC)", "who", "what", "changes", "reason", title=f"audit trail of {fair}"
        )
        for e in entries:
            changes = "; ".join(f"{k}: {old} -> {new}" for k, (old, new) in e["changes"].items())
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
        err.print("[red]error[/red]: --format is table, csv or json")
        raise typer.Exit(2)


# --- import: inspection results -----------------------------------------------------------


_LISTED_ROWS = 50


def _issue_table(
    title: str, issues: Sequence[Any], total: int, per_code: int = _LISTED_ROWS
) -> Table:
    table = Table("row", "code", "balloon", "serial", "why", title=title, title_justify="left")
    shown: dict[str, int] = {}
    listed = []
    for issue in issues:
        shown[issue.code] = shown.get(issue.code, 0) + 1
        if shown[issue.code] <= per_code and len(listed) < _LISTED_ROWS:
            listed.append(issue)
    for issue in listed:
        table.add_row(
            "file" if issue.row is None else str(issue.row),
            issue.code,
            issue.balloon or "",
            issue.serial or "",
            issue.message,
        )
    if total > len(listed):
        table.caption = f"{total - len(listed)} more not shown (--json lists up to 1,000)"
    return table


@import_app.command("results")
@cli_command
def import_results_command(
    fair: Annotated[str, typer.Argument(metavar="FAIR-ID", help="The FAI's FAIR identifier.")],
    file: Annotated[Path, typer.Argument(help="CSV, Calypso _chr.txt or QIF 3.0 Results file.")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto (from the content), csv, calypso or qif.")
    ] = "auto",
    partial: Annotated[
        bool, typer.Option("--partial", help="Record the valid rows even if others are refused.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole report as JSON.")
    ] = False,
) -> None:
    """Import inspection results into an FAI; refused rows are listed and nothing is written."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from firstarticle.services import result_import

    if not file.is_file():
        err.print(f"[red]error[/red]: {file} is not a file", highlight=False)
        raise typer.Exit(2)
    context = ctx()
    fai_id = first_articles.first_article_by_fair(context, fair).fai.id
    long_file = file.stat().st_size > 1024 * 1024
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not long_file,
    ) as bar:
        task = bar.add_task(f"reading {file.name}", total=None)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{stage} {file.name}", completed=done, total=total)

        try:
            report = result_import.import_results(
                context, fai_id, file, fmt, partial=partial, dry_run=dry_run, progress=step
            )
        except result_import.ResultImportRefusedError as refused:
            report = refused.report
    if as_json:
        _print_json(report.as_dict())
    else:
        counts = (
            f"{report.rows_read} rows read, {report.results_recorded} results recorded, "
            f"{report.rows_refused} refused, {report.rows_skipped} skipped, "
            f"{report.nonconforming} nonconforming"
        )
        out.print(f"{fair}: {report.file_name} ({report.format}) {report.status}: {counts}")
        if report.refused:
            out.print(_issue_table("refused rows", report.refused, report.rows_refused))
        if report.warnings:
            warned = sum(report.warnings_by_code.values())
            out.print(_issue_table("warnings", report.warnings, warned, per_code=3))
        if report.skipped:
            out.print(_issue_table("skipped rows", report.skipped, report.rows_skipped))
        for note in report.notes:
            out.print(f"note: {note}", highlight=False)
    if report.status == "refused":
        err.print(
            "[red]refused[/red]: nothing was recorded; fix the rows above or use --partial",
            highlight=False,
        )
        raise typer.Exit(1)


@fai_app.command("export-qif")
@cli_command
def fai_export_qif(
    fair: Annotated[str, typer.Argument(metavar="FAIR-ID")],
    out_file: Annotated[Path, typer.Option("--out", help="The .qif file to write.")],
) -> None:
    """Write the FAI's characteristics and results as a QIF 3.0 Results document."""
    from firstarticle.services import result_export

    data = result_export.export_results_qif(ctx(), _fai(fair).fai.id)
    try:
        out_file.write_bytes(data)
    except OSError as error:
        err.print(f"[red]error[/red]: cannot write {out_file}: {error.strerror}", highlight=False)
        raise typer.Exit(2) from None
    out.print(f"{fair}: QIF 3.0 Results written to {out_file} ({len(data)} bytes)")


# --- import: characteristics from QIF MBD / Plans -----------------------------------------


@import_app.command("characteristics")
@cli_command
def import_characteristics_command(
    file: Annotated[str, typer.Argument(help="QIF 3.0 MBD or Plan file.")],
    part: Annotated[str, typer.Option("--part", help="Part number.")],
    revision: Annotated[str, typer.Option("--revision", help="Part revision.")],
    drawing: Annotated[
        str | None, typer.Option("--drawing", help="Drawing number, if the revision has several.")
    ] = None,
    units: Annotated[
        str | None, typer.Option("--units", help="The drawing's units, for a file without any.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check everything, write nothing.")
    ] = False,
) -> None:
    """Create a part revision's characteristic list from a QIF MBD or Plan file."""
    from firstarticle.services import characteristic_import

    if not os.path.isfile(file):
        err.print(f"[red]error[/red]: {file} is not a file", highlight=False)
        raise typer.Exit(2)
    summary = characteristic_import.import_characteristics(
        ctx(),
        part_number=part,
        revision=revision,
        file=file,
        drawing_number=drawing,
        units=units,
        dry_run=dry_run,
    )
    out.print(summary.message, highlight=False)
    out.print(
        f"  read {summary.read}, created {summary.created}, balloons numbered by firstarticle "
        f"{summary.numbered}; sha256 {summary.source_sha256}",
        highlight=False,
    )


@part_app.command("diff")
@cli_command
def part_diff_command(
    number: str,
    from_revision: Annotated[str, typer.Argument(metavar="FROM")],
    to_revision: Annotated[str, typer.Argument(metavar="TO")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Characteristics added, removed and changed from revision FROM to revision TO."""
    from firstarticle.services import characteristic_import

    result = characteristic_import.diff_revisions(ctx(), number, from_revision, to_revision)
    diff = result.diff
    if as_json:
        _print_json(
            {
                "part_number": result.part_number,
                "from_revision": result.from_revision,
                "to_revision": result.to_revision,
                "affects_design": diff.affects_design,
                "balloons_to_reinspect": list(diff.balloons_to_reinspect),
                "added": [a.__dict__ for a in diff.added],
                "removed": [r.__dict__ for r in diff.removed],
                "changed": [
                    {
                        "balloon_before": c.before.balloon,
                        "balloon_after": c.after.balloon,
                        "matched_by": c.matched_by.value,
                        "affects_design": c.affects_design,
                        "changes": [
                            {"field": f.field.value, "before": f.before, "after": f.after}
                            for f in c.changes
                        ],
                    }
                    for c in diff.changed
                ],
                "unchanged": diff.unchanged,
            }
        )
        return
    out.print(
        f"[bold]{result.part_number}[/bold] rev {result.from_revision} -> rev "
        f"{result.to_revision}: {len(diff.added)} added, {len(diff.removed)} removed, "
        f"{len(diff.changed)} changed, {diff.unchanged} unchanged",
        highlight=False,
    )
    if diff.added or diff.removed:
        table = Table("", "balloon", "requirement", "source item")
        for a in diff.added:
            table.add_row("[green]+[/green]", a.balloon, a.requirement, a.source_item or "")
        for r in diff.removed:
            table.add_row("[red]-[/red]", r.balloon, r.requirement, r.source_item or "")
        out.print(table)
    if diff.changed:
        table = Table("balloon", "what", "before", "after")
        for c in diff.changed:
            for f in c.changes:
                balloon = c.after.balloon
                table.add_row(balloon, f.field.value, f.before or "", f.after or "")
        out.print(table)
    if diff.affects_design:
        out.print(
            "The design changed: evaluate a new full or partial FAI (AS9102 4.6); a partial "
            "FAI covers at least balloons " + ", ".join(diff.balloons_to_reinspect or ("-",)),
            highlight=False,
        )


@part_app.command("export")
@cli_command
def part_export_command(
    number: str,
    revision: str,
    out_file: Annotated[str, typer.Option("--out", help="The xlsx file to write.")],
) -> None:
    """Write a revision's characteristic list to an xlsx workbook for review."""
    from firstarticle.services import characteristic_import

    data = characteristic_import.export_characteristics_xlsx(ctx(), number, revision)
    try:
        with open(out_file, "wb") as handle:
            handle.write(data)
    except OSError as error:
        err.print(f"[red]error[/red]: cannot write {out_file}: {error.strerror}", highlight=False)
        raise typer.Exit(2) from None
    out.print(f"{number} rev {revision}: characteristic list written to {out_file}")


# --- import: mirrored records --------------------------------------------------------------


def _import_records(kind: str, file: Path, dry_run: bool) -> None:
    from firstarticle.integrations import records
    from firstarticle.services import mirror

    if not file.is_file():
        err.print(f"[red]error[/red]: {file} is not a file")
        raise typer.Exit(2)
    with file.open("rb") as handle:
        batch = records.read_file(kind, file.name, handle)
    report = mirror.apply(ctx(), kind, batch, dry_run=dry_run)
    table = Table(
        "external id",
        "version",
        "outcome",
        "record id",
        title=f"{kind}: {len(report.lines)} records"
        + (" (dry run: nothing written)" if dry_run else ""),
    )
    for line in report.lines:
        table.add_row(
            line.external_id, str(line.source_version), line.outcome.value, line.record_id or ""
        )
    out.print(table)
    out.print(", ".join(f"{n} {o}" for o, n in report.counts.items()))


def _record_import_command(kind: str) -> None:
    @import_app.command(kind, help=f"Import {kind} from a CSV or JSON file (docs/imports.md).")
    @cli_command
    def command(
        file: Annotated[Path, typer.Argument(help="A .csv or .json file")],
        dry_run: Annotated[
            bool, typer.Option(help="Report what would change; write nothing")
        ] = False,
    ) -> None:
        _import_records(kind, file, dry_run)


for _kind in ("part-revisions", "customers", "work-orders", "nonconformances"):
    _record_import_command(_kind)


@app.command()
@cli_command
def sync(source: Annotated[SourceSystem, typer.Argument(help="plm, erp or qms")]) -> None:
    """Pull what changed in PLM, ERP or QMS since the last sync into the mirrors."""
    from firstarticle.integrations import records
    from firstarticle.services.sync import synchronise

    def parse(kind: str, raw: Sequence[dict[str, Any]]) -> list[Any]:
        return records.parse(
            kind, ((f"{source.value} {kind} #{i + 1}", r) for i, r in enumerate(raw))
        )

    report = synchronise(ctx(), source, application().feed(source), parse)
    for kind, counts in report.counts.items():
        out.print(f"{kind}: " + (", ".join(f"{n} {o}" for o, n in counts.items()) or "nothing new"))
    out.print(f"{report.pages} page(s) from {source.value.upper()}")


@app.command()
@cli_command
def watch(
    folder: Annotated[Path, typer.Argument(help="The drop folder")],
    interval: Annotated[float, typer.Option(help="Seconds between scans")] = 5.0,
    once: Annotated[bool, typer.Option(help="Scan once and exit")] = False,
) -> None:
    """Import record files dropped into FOLDER (e.g. by SFTP) and file them away."""
    import time

    from firstarticle.integrations.drop_folder import process_once

    if not folder.is_dir():
        err.print(f"[red]error[/red]: {folder} is not a folder")
        raise typer.Exit(2)
    failures = 0
    while True:
        for filed in process_once(ctx(), folder):
            mark = "[green]imported[/green]" if filed.ok else "[red]failed[/red]"
            out.print(f"{mark} {filed.name}: {filed.detail}", highlight=False)
            failures += not filed.ok
        if once:
            if failures:
                raise typer.Exit(1)
            return
        time.sleep(interval)


# --- people and tokens ----------------------------------------------------------------------


def _user_line(user: Any) -> str:
    sites = "all sites" if user.all_sites else ",".join(sorted(user.site_ids)) or "no site"
    state = "" if user.active else " (disabled)"
    roles = ",".join(sorted(r.value for r in user.roles))
    return f"{user.username}\t{user.printed_name}\t{roles}\t{sites}{state}"


@users_app.command("create")
@cli_command
def users_create(
    username: str,
    printed_name: Annotated[str, typer.Option("--name", help="Printed name, as signed.")],
    role: Annotated[list[Role], typer.Option("--role", help="Repeat for several roles.")],
    site: Annotated[list[str] | None, typer.Option("--site", help="Site code; repeatable.")] = None,
    all_sites: Annotated[bool, typer.Option("--all-sites")] = False,
    citizenship: Annotated[
        list[str] | None, typer.Option("--citizenship", help="ISO country code; repeatable.")
    ] = None,
    email: Annotated[str | None, typer.Option()] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the initial password from stdin.")
    ] = False,
) -> None:
    """Create a person or an integration account (system_* roles)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    user = identity.create_user(
        ctx(),
        username=username,
        printed_name=printed_name,
        roles=list(role),
        sites=list(site or []),
        all_sites=all_sites,
        citizenships=list(citizenship or []),
        email=email,
        password=password,
    )
    out.print(_user_line(user), highlight=False)


@users_app.command("list")
@cli_command
def users_list(limit: int = 50, offset: int = 0) -> None:
    """Users, by username."""
    for user in identity.list_users(ctx(), limit, offset).items:
        out.print(_user_line(user), highlight=False)


@users_app.command("show")
@cli_command
def users_show(username: str) -> None:
    """One user with roles, sites, citizenships and export authorizations (as JSON)."""
    _print_json(identity.describe(identity.get_user(ctx(), username)))


@users_app.command("grant")
@cli_command
def users_grant(
    username: str,
    reason: Annotated[str, typer.Option(help="Why access changes (audited).")],
    role: Annotated[list[Role] | None, typer.Option("--role")] = None,
    revoke_role: Annotated[list[Role] | None, typer.Option("--revoke-role")] = None,
    site: Annotated[list[str] | None, typer.Option("--site")] = None,
    revoke_site: Annotated[list[str] | None, typer.Option("--revoke-site")] = None,
    all_sites: Annotated[bool | None, typer.Option("--all-sites/--listed-sites")] = None,
) -> None:
    """Add or remove roles and sites."""
    user = identity.grant(
        ctx(),
        username,
        roles=list(role or []),
        revoke_roles=list(revoke_role or []),
        sites=list(site or []),
        revoke_sites=list(revoke_site or []),
        all_sites=all_sites,
        reason=reason,
    )
    out.print(_user_line(user), highlight=False)


@users_app.command("authorize")
@cli_command
def users_authorize(
    username: str,
    kind: Annotated[AuthorizationKind, typer.Option(help="us_person, license or agreement.")],
    reason: Annotated[str, typer.Option(help="The basis of the record (audited).")],
    regime: Annotated[ExportRegime | None, typer.Option(help="itar or ear.")] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="USML category or ECCN; repeatable.")
    ] = None,
    reference: Annotated[str | None, typer.Option(help="License or agreement number.")] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date, YYYY-MM-DD.")] = None,
) -> None:
    """Record an export authorization: US person, or a license/agreement with an expiry."""
    try:
        expires_on = date.fromisoformat(expires) if expires else None
    except ValueError:
        err.print(f"[red]error[/red]: --expires is not a date (YYYY-MM-DD): {expires!r}")
        raise typer.Exit(2) from None
    identity.add_authorization(
        ctx(),
        username,
        kind=kind,
        regime=regime,
        categories=list(category or []),
        reference=reference,
        expires_on=expires_on,
        reason=reason,
    )
    out.print(f"{username}: {kind.value} recorded", highlight=False)


@users_app.command("disable")
@cli_command
def users_disable(
    username: str, reason: Annotated[str, typer.Option(help="Why (audited).")]
) -> None:
    """Disable an account for good: sessions end, tokens stop; the name is never reused."""
    identity.disable_user(ctx(), username, reason)
    out.print(f"{username} disabled", highlight=False)


@users_app.command("password")
@cli_command
def users_password(username: str) -> None:
    """Set a user's password, read from stdin (one line)."""
    identity.set_password(ctx(), username, sys.stdin.readline().rstrip("\n"))
    out.print(f"{username}: password set", highlight=False)


@users_app.command("totp")
@cli_command
def users_totp(username: str) -> None:
    """Enrol a new TOTP second factor; prints the otpauth:// URI to load into an app."""
    out.print(identity.enrol_totp(ctx(), username), highlight=False, soft_wrap=True)


@token_app.command("create")
@cli_command
def token_create(
    user: Annotated[str, typer.Option("--user", help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[
        list[Permission] | None,
        typer.Option("--scope", help="Narrow the token to these permissions; repeatable."),
    ] = None,
    days: Annotated[int | None, typer.Option(help="Lifetime in days.")] = None,
) -> None:
    """Issue an API token and print it once (only its SHA-256 is kept)."""
    issued = identity.create_token(
        ctx(), user, name=name, scopes=list(scope or []) or None, days=days
    )
    print(issued.secret)
    err.print(
        f"token {issued.token.id} for {user}, expires {issued.token.expires_at:%Y-%m-%d}",
        highlight=False,
    )


@token_app.command("list")
@cli_command
def token_list(user: Annotated[str, typer.Option("--user")]) -> None:
    """The tokens of a user (never their secrets)."""
    for t in identity.list_tokens(ctx(), user):
        state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
        scopes = ",".join(sorted(t.scopes)) if t.scopes else "all"
        out.print(f"{t.id}\t{t.name}\t{scopes}\t{state}", highlight=False)


@token_app.command("revoke")
@cli_command
def token_revoke(
    token_id: str, reason: Annotated[str, typer.Option(help="Why (audited).")]
) -> None:
    """Revoke a token at once."""
    identity.revoke_token(ctx(), token_id, reason)
    out.print(f"token {token_id} revoked", highlight=False)


@part_app.command("classify")
@cli_command
def part_classify(
    number: str,
    regime: Annotated[ExportRegime, typer.Option(help="itar, ear, ear99 or not_controlled.")],
    reason: Annotated[str, typer.Option(help="Basis of the determination (audited).")],
    category: Annotated[
        str | None, typer.Option(help="USML category (ITAR) or ECCN (EAR).")
    ] = None,
    revision: Annotated[str | None, typer.Option(help="Label one revision only.")] = None,
) -> None:
    """Give a part (or one revision) its export classification."""
    c = ctx()
    part = catalog.part_by_number(c, number)
    revision_id = None
    if revision is not None:
        rev = _found(part.revision(revision), f"{number} rev {revision}")
        revision_id = rev.id
    catalog.classify(
        c, part.id, regime=regime, category=category, revision_id=revision_id, reason=reason
    )
    out.print(f"{number}: {regime.value} {category or ''}".rstrip(), highlight=False)


from firstarticle import cli_exports  # noqa: E402  (AS9102 forms: export, package verify)

cli_exports.register(app, ctx, cli_command)
