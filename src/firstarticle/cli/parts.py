"""Parts, revisions, characteristics and their export classification."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from firstarticle.cli.common import (
    command,
    ctx,
    found,
    out,
    parse_decimal,
    print_json,
    usage_error,
)
from firstarticle.domain import model
from firstarticle.domain.classification import ExportRegime
from firstarticle.services import (
    catalog,
)

part_app = typer.Typer(help="Parts, revisions and characteristics.", no_args_is_help=True)


@part_app.command("create")
@command
def part_create(number: str, name: str) -> None:
    """Create a part number."""
    part = catalog.create_part(ctx(), number=number, name=name)
    out.print(f"part {part.number} created ({part.id})")


@part_app.command("add-revision")
@command
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
            usage_error(f"--drawing takes NUMBER:REV, not {item!r}")
        kind = model.DefinitionKind.MODEL_BASED_DEFINITION if mbd else model.DefinitionKind.DRAWING
        specs.append(catalog.DrawingSpec(dnum, drev, kind))
    part = catalog.part_by_number(ctx(), number)
    rev = catalog.add_revision(ctx(), part.id, revision=revision, drawings=specs, status=status)
    out.print(f"{part.number} rev {rev.revision} added ({rev.id})")


@part_app.command("add-characteristic")
@command
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
    rev = found(part.revision(revision), f"{number} rev {revision}")
    spec = catalog.CharacteristicSpec(
        balloon=balloon,
        ctype=ctype,
        requirement=requirement,
        nominal=parse_decimal(nominal, "nominal"),
        upper_tolerance=parse_decimal(plus, "plus"),
        lower_tolerance=parse_decimal(minus, "minus"),
        lower_limit=parse_decimal(low, "low"),
        upper_limit=parse_decimal(high, "high"),
        units=units,
        sheet=sheet,
        zone=zone,
        designator=designator,
    )
    (c,) = catalog.add_characteristics(ctx(), rev.id, drawing, [spec])
    out.print(f"balloon {c.balloon}: {c.requirement.text}")


@part_app.command("show")
@command
def part_show(number: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a part, its revisions, drawings and characteristics."""
    part = catalog.part_by_number(ctx(), number)
    if as_json:
        print_json(
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
    out.print(Text.assemble((part.number, "bold"), f" {part.name}"))
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


@part_app.command("diff")
@command
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
        print_json(
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
        Text.assemble(
            (result.part_number, "bold"),
            f" rev {result.from_revision} -> rev {result.to_revision}: {len(diff.added)} "
            f"added, {len(diff.removed)} removed, {len(diff.changed)} changed, "
            f"{diff.unchanged} unchanged",
        )
    )
    if diff.added or diff.removed:
        table = Table("", "balloon", "requirement", "source item")
        for a in diff.added:
            table.add_row(Text("+", "green"), a.balloon, a.requirement, a.source_item or "")
        for r in diff.removed:
            table.add_row(Text("-", "red"), r.balloon, r.requirement, r.source_item or "")
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
@command
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
        usage_error(f"cannot write {out_file}: {error.strerror}")
    out.print(f"{number} rev {revision}: characteristic list written to {out_file}")


@part_app.command("classify")
@command
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
        rev = found(part.revision(revision), f"{number} rev {revision}")
        revision_id = rev.id
    catalog.classify(
        c, part.id, regime=regime, category=category, revision_id=revision_id, reason=reason
    )
    out.print(f"{number}: {regime.value} {category or ''}".rstrip(), highlight=False)
