"""First articles: the record, results, nonconformances, decisions and signatures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from firstarticle.cli.common import (
    change_list,
    command,
    ctx,
    fai_detail,
    out,
    parse_decimal,
    print_json,
    signer,
    usage_error,
)
from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.signatures import SignatureMeaning
from firstarticle.domain.values import AttributeResult
from firstarticle.services import (
    catalog,
    first_articles,
    orders,
    signatures,
)

fai_app = typer.Typer(help="First articles.", no_args_is_help=True)


@fai_app.command("create")
@command
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
@command
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
        print_json(
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
@command
def fai_show(fair: str) -> None:
    """Show an FAI: Form 1 essentials and Form 3 with results."""
    d = fai_detail(fair)
    f1 = d.form1
    out.print(
        Text.assemble(
            (f1.fair_identifier, "bold"),
            f"  {d.fai.status.label}  {f1.part_number} rev {f1.part_revision} {f1.part_name}",
        )
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
@command
def fai_readiness(fair: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Readiness findings; exits 3 when blocking findings exist."""
    d = fai_detail(fair)
    blocking = [f for f in d.findings if f.blocking]
    if as_json:
        print_json(
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


@fai_app.command("transition")
@command
def fai_transition(
    fair: str, action: FaiAction, reason: str | None = None, superseded_by: str | None = None
) -> None:
    """Move an FAI through the lifecycle (start, request_review, submit, ...)."""
    d = first_articles.transition(
        ctx(), fai_detail(fair).fai.id, action, reason=reason, superseded_by=superseded_by
    )
    out.print(f"{fair} is now {d.fai.status.label.lower()}")


@fai_app.command("result")
@command
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
        value=parse_decimal(value, "value"),
        units=units,
        attribute=attribute,
        serial_number=serial,
        operator=operator,
        device=device,
    )
    (result,) = first_articles.record_results(ctx(), fai_detail(fair).fai.id, [item])
    out.print(f"result recorded for balloon {balloon} ({result.id})")


@fai_app.command("verify-result")
@command
def fai_verify_result(fair: str, result_id: str) -> None:
    """Verify a manually entered result as a second person."""
    verifier = ctx()
    first_articles.verify_result(verifier, fai_detail(fair).fai.id, result_id)
    out.print(f"result {result_id} verified by {verifier.actor}")


@fai_app.command("link-nc")
@command
def fai_link_nc(
    fair: str,
    number: str,
    kind: model.NonconformanceKind = model.NonconformanceKind.NONCONFORMANCE,
    balloon: Annotated[list[str] | None, typer.Option(help="Affected balloon, repeatable")] = None,
    title: str | None = None,
) -> None:
    """Link a nonconformance, deviation, concession or rework, open: its status comes from
    the QMS (or, at a site without one, from `fai nc-advance`)."""
    first_articles.link_nonconformance(
        ctx(),
        fai_detail(fair).fai.id,
        kind=kind,
        number=number,
        title=title,
        balloons=balloon or [],
    )
    out.print(f"{kind.value} {number} linked to {fair}")


@fai_app.command("audit")
@command
def fai_audit(fair: str) -> None:
    """The FAI's audit trail."""
    table = Table("#", "time (UTC)", "actor", "action", "changes", "reason")
    for e in first_articles.audit_trail(ctx(), fai_detail(fair).fai.id):
        table.add_row(
            str(e["position"]),
            e["at"].isoformat(timespec="seconds"),
            e["actor"],
            e["action"],
            change_list(e["changes"]),
            e["reason"] or "",
        )
    out.print(table)


@fai_app.command("sign")
@command
def fai_sign(
    fair: str,
    meaning: Annotated[
        SignatureMeaning, typer.Option(help="verified (field 20) or reviewed_approved (field 22).")
    ],
    totp: Annotated[str | None, typer.Option(help="TOTP code, where enrolled.")] = None,
) -> None:
    """Sign an FAI as the --as user, who gives their password again; the signature performs
    the transition (field 20: review, field 22: internal approval)."""
    c, nonce, password = signer()
    detail = first_articles.first_article_by_fair(c, fair)
    signatures.sign_first_article(
        c, detail.fai.id, meaning, nonce=nonce, password=password, totp_code=totp
    )
    for view in signatures.signatures_of(c, detail.fai.id):
        if view.valid:
            out.print(view.manifestation, highlight=False)


@fai_app.command("export-qif")
@command
def fai_export_qif(
    fair: Annotated[str, typer.Argument(metavar="FAIR-ID")],
    out_file: Annotated[Path, typer.Option("--out", help="The .qif file to write.")],
) -> None:
    """Write the FAI's characteristics and results as a QIF 3.0 Results document."""
    from firstarticle.services import result_export

    data = result_export.export_results_qif(ctx(), fai_detail(fair).fai.id)
    try:
        out_file.write_bytes(data)
    except OSError as error:
        usage_error(f"cannot write {out_file}: {error.strerror}")
    out.print(f"{fair}: QIF 3.0 Results written to {out_file} ({len(data)} bytes)")
