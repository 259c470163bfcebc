"""The QIF Results export writes an imported characteristic back as its QIF type, datum
reference frame included, and falls back to a user-defined one for what it cannot state;
read back by the model reader (read_qif_mbd), the typed ones give the same tolerance."""

from __future__ import annotations

import io
from decimal import Decimal

from lxml import etree

from firstarticle.domain.tolerancing import DatumReference, DesignTolerance, FrameRow
from firstarticle.integrations.inspection.qif import validate_qif
from firstarticle.integrations.inspection.qif_export import (
    ExportActual,
    ExportCharacteristic,
    ExportHeader,
    write_qif_results,
)
from firstarticle.integrations.inspection.qif_mbd import read_qif_mbd

NS = {"q": "http://qifstandards.org/xsd/qif3"}
HEADER = ExportHeader(
    report_number="FAIR-T-1",
    part_number="P-1",
    part_name="Part",
    part_revision="A",
    inspection_scope="DETAIL",
    inspection_mode="FAI_Full",
    drawings=(("P-1", "A"),),
)
# Position ⌀0.25 Ⓜ | A | B-C Ⓜ : a common datum B-C, the second of its labels at MMC.
FRAME = (
    DatumReference(("A",), (None,)),
    DatumReference(("B", "C"), (None, "MAXIMUM")),
)
POSITION = DesignTolerance(rows=(FrameRow(Decimal("0.25"), "DiametricalZone", "MAXIMUM", FRAME),))


def position(key: str, tolerance: DesignTolerance) -> ExportCharacteristic:
    return ExportCharacteristic(
        key=key,
        balloon=key,
        requirement="⌖ ⌀0.25 Ⓜ | A | B-C Ⓜ",
        nominal=Decimal(0),
        lower_limit=Decimal(0),
        upper_limit=Decimal("0.25"),
        units="mm",
        kind="Position",
        tolerance=tolerance,
    )


def exported(*characteristics: ExportCharacteristic) -> bytes:
    out = io.BytesIO()
    actuals = [ExportActual(c.key, Decimal("0.1"), None, True) for c in characteristics]
    write_qif_results(
        out,
        HEADER,
        characteristics,
        [("S1", actuals)],
        serial_count=1,
        result_count=len(actuals),
    )
    return out.getvalue()


def definitions(data: bytes) -> list[str]:
    tree = etree.parse(io.BytesIO(data))
    return [
        etree.QName(e).localname
        for e in tree.xpath("//q:CharacteristicDefinitions/*", namespaces=NS)
    ]


def test_a_position_with_a_common_datum_goes_out_typed_and_reads_back_the_same() -> None:
    """One frame, written once for the two characteristics that share it; the reader gets
    the zone, its shape, the material condition and every datum with its modifier."""
    data = exported(position("1", POSITION), position("2", POSITION))
    validate_qif(io.BytesIO(data))
    assert definitions(data) == ["PositionCharacteristicDefinition"] * 2
    tree = etree.parse(io.BytesIO(data))
    assert len(tree.xpath("//q:DatumReferenceFrame", namespaces=NS)) == 1
    assert len(tree.xpath("//q:CompoundDatum/q:Datum", namespaces=NS)) == 2
    back = read_qif_mbd(io.BytesIO(data)).characteristics
    assert [c.kind for c in back] == ["Position", "Position"]
    (row,) = back[0].segments
    assert (row.value, row.zone_shape, row.material_condition) == (
        Decimal("0.25"),
        "DiametricalZone",
        "MAXIMUM",
    )
    assert [(d.labels, d.modifiers) for d in row.datums] == [
        (("A",), (None,)),
        (("B", "C"), (None, "MAXIMUM")),
    ]
    assert back[0].text == "⌖ ⌀0.25 Ⓜ | A | B-C Ⓜ"


def test_what_the_schema_cannot_state_this_way_goes_out_user_defined() -> None:
    """A composite frame, a made-up datum label (not an NMTOKEN), a kind the export does not
    type and a characteristic without a stored tolerance are user-defined, still valid."""
    composite = DesignTolerance(rows=POSITION.rows * 2)
    unlabelled = DesignTolerance(
        rows=(
            FrameRow(Decimal("0.25"), "DiametricalZone", None, (DatumReference(("#7",), (None,)),)),
        )
    )
    other_kind = ExportCharacteristic(
        "5",
        "5",
        "⌭ 0.01",
        Decimal(0),
        Decimal(0),
        Decimal("0.01"),
        "mm",
        kind="Cylindricity",
        tolerance=DesignTolerance(rows=(FrameRow(Decimal("0.01")),)),
    )
    data = exported(
        position("1", composite),
        position("2", unlabelled),
        position("3", POSITION),
        other_kind,
        ExportCharacteristic(
            "4", "4", "10 ±0.1 mm", Decimal(10), Decimal("9.9"), Decimal("10.1"), "mm"
        ),
    )
    validate_qif(io.BytesIO(data))
    assert definitions(data) == [
        "UserDefinedLinearCharacteristicDefinition",
        "UserDefinedLinearCharacteristicDefinition",
        "PositionCharacteristicDefinition",
        "UserDefinedLinearCharacteristicDefinition",
        "UserDefinedLinearCharacteristicDefinition",
    ]


def test_a_size_keeps_the_form_its_tolerance_was_given_in() -> None:
    """Nominal ± tolerance stays a tolerance, limits stay limits; both read back as such."""
    toleranced = ExportCharacteristic(
        "1",
        "1",
        "⌀10.0 ±0.4 mm",
        Decimal(10),
        Decimal("9.6"),
        Decimal("10.4"),
        "mm",
        kind="Diameter",
        tolerance=DesignTolerance(),
    )
    limits = ExportCharacteristic(
        "2",
        "2",
        "⌀9.6 – 10.4 mm",
        Decimal(10),
        Decimal("9.6"),
        Decimal("10.4"),
        "mm",
        kind="Diameter",
        tolerance=DesignTolerance(defined_as_limit=True),
    )
    data = exported(toleranced, limits)
    validate_qif(io.BytesIO(data))
    tree = etree.parse(io.BytesIO(data))
    stated = [
        (t.findtext("q:MaxValue", namespaces=NS), t.findtext("q:MinValue", namespaces=NS))
        for t in tree.xpath("//q:DiameterCharacteristicDefinition/q:Tolerance", namespaces=NS)
    ]
    assert stated == [("0.4", "-0.4"), ("10.4", "9.6")]
    back = read_qif_mbd(io.BytesIO(data)).characteristics
    assert [c.defined_as_limit for c in back] == [False, True]
    assert [(c.lower_limit, c.upper_limit) for c in back] == [(Decimal("9.6"), Decimal("10.4"))] * 2


def test_a_design_tolerance_is_stored_as_json_and_read_back_exactly() -> None:
    """Decimals keep their digits through the JSON column."""
    tolerance = DesignTolerance(
        rows=POSITION.rows, outer_disposition=Decimal("1.50"), direction="XAXIS"
    )
    assert DesignTolerance.from_json(tolerance.as_json()) == tolerance
    assert tolerance.as_json()["outer_disposition"] == "1.50"
