"""The QIF Results export gives back what the import read (issue 17): every results sample
imported into an FAI, exported, and the export imported into a fresh FAI on a fresh part shows
the same characteristics, types, QIF kinds and tolerances (frame rows with their datum
references), requirement texts, values, verdicts and NC numbers, with one measurement record
per recorded result, and the export states each characteristic as the QIF type the sample
gave it. Counts come from a few lines of lxml over the export, not from the writer.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree
from test_import_fidelity import NS, SAMPLES, fai_from_file

from firstarticle.integrations.inspection.qif import validate_qif
from firstarticle.services import ServiceContext, first_articles
from firstarticle.services.result_export import export_results_qif
from firstarticle.services.result_import import import_results

# The kinds the export writes typed (qif_export_types.py); the samples use all of them.
TYPED_KINDS = (
    "Diameter",
    "DistanceBetween",
    "LinearCoordinate",
    "AngleBetween",
    "PointProfile",
    "Position",
    "Flatness",
    "Circularity",
    "Perpendicularity",
    "Parallelism",
)


def _results_samples() -> list[str]:
    if not SAMPLES.is_dir():
        return ["(samples absent)"]
    return sorted(
        str(p.relative_to(SAMPLES))
        for p in (SAMPLES / "Results").rglob("*")
        if p.suffix.lower() == ".qif"
    )


def measurement_records(tree: etree._ElementTree) -> int:
    """Measurement elements under every MeasurementResults block."""
    return len(
        tree.xpath(
            "//q:MeasurementResults/q:MeasuredCharacteristics/q:CharacteristicMeasurements/*",
            namespaces=NS,
        )
    )


def kinds(tree: etree._ElementTree, level: str) -> Counter[str]:
    """How many ``...Characteristic<level>`` elements of each typed kind the file holds."""
    found: Counter[str] = Counter()
    for element in tree.xpath(f"//q:Characteristic{level}s/*", namespaces=NS):
        kind = etree.QName(element).localname.removesuffix(f"Characteristic{level}")
        if kind in TYPED_KINDS:
            found[kind] += 1
    return found


def form3(ctx: ServiceContext, fai_id: str) -> dict[str, tuple]:
    """Balloon -> (type, QIF kind, tolerance as typed, designator, requirement text, sorted
    (serial, value, attribute, verdict, NC) of every result, superseded ones included)."""
    detail = first_articles.get_first_article(ctx, fai_id)
    by_id = {c.id: c for c in detail.revision.characteristics}
    shown = {}
    for line in detail.form3:
        c = by_id[line.characteristic_id]
        results = sorted(
            (
                (
                    r.serial_number or "",
                    r.value,
                    r.attribute,
                    r.conformance.value,
                    r.nonconformance_number or "",
                )
                for r in line.results
            ),
            key=repr,
        )
        shown[line.char_no] = (
            c.ctype.value,
            c.qif_kind,
            c.design_tolerance,
            line.designator,
            line.requirement,
            results,
        )
    return shown


@pytest.mark.parametrize("name", _results_samples())
def test_a_results_sample_exported_and_imported_again_is_the_same_fai(
    ctx: ServiceContext, name: str, tmp_path: Path
) -> None:
    """Same balloons, types, QIF kinds and tolerances, designators, requirement texts,
    values, verdicts and NC numbers; as many measurement records as results recorded; the
    sample's characteristics written as its QIF types; schema-valid."""
    if not SAMPLES.is_dir():
        pytest.skip("QIF samples absent (checkout without ../shared)")
    path = SAMPLES / name
    tree = etree.parse(str(path))
    if not tree.xpath("//q:FileUnits", namespaces=NS) or not tree.xpath(
        "//q:CharacteristicItems/*", namespaces=NS
    ):
        pytest.skip("the import refuses this file (see test_every_sample_file_is_imported...)")
    first = fai_from_file(ctx, path, "R")
    report = import_results(ctx, first, path)
    data = export_results_qif(ctx, first)
    validate_qif(io.BytesIO(data))
    recorded = sum(len(v[-1]) for v in form3(ctx, first).values())
    assert recorded == report.results_recorded
    assert measurement_records(etree.parse(io.BytesIO(data))) == recorded
    # Every characteristic the import took (one per item) goes out as the sample's type.
    assert sum(kinds(tree, "Item").values()) > 0
    assert kinds(etree.parse(io.BytesIO(data)), "Definition") == kinds(tree, "Item")

    # A fresh part: the export names the first FAI's part number.
    again = etree.parse(io.BytesIO(data))
    for number in again.xpath("//q:Part/q:ModelNumber", namespaces=NS):
        number.text = f"{number.text}-AGAIN"
    exported = tmp_path / path.name
    again.write(str(exported), xml_declaration=True, encoding="UTF-8")
    second = fai_from_file(ctx, exported, "E")
    import_results(ctx, second, exported)
    before, after = form3(ctx, first), form3(ctx, second)
    assert any(line[2] is not None and line[2].rows for line in before.values())
    assert after == before
