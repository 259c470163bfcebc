"""The QIF MBD / Plan characteristic reader, against the NIST models and the QIF samples.

Counts are checked against the numbers the issue states and against a plain lxml reading of
each file; requirement texts and values were read off the files by eye, and each test names
the element it took them from. Hostile inputs must give QifError and nothing else.
"""

from __future__ import annotations

import ast
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

import firstarticle
from firstarticle.integrations.inspection.qif import QifError
from firstarticle.integrations.inspection.qif_mbd import (
    ZERO_TOLERANCE_FLAG,
    MbdCharacteristic,
    MbdDocument,
    read_qif_mbd,
)

Q = {"q": "http://qifstandards.org/xsd/qif3"}
QIF_OPEN = '<QIFDocument xmlns="http://qifstandards.org/xsd/qif3" versionQIF="3.0.0" idMax="9">'

NIST_COUNTS = {
    "nist_ctc_01_asme1_ap242.qif": 14,
    "nist_ctc_03_asme1_ap242.qif": 22,
    "nist_ctc_05_asme1_ap242.qif": 16,
    "nist_ftc_06_asme1_ap242.qif": 47,
    "nist_ftc_08_asme1_ap242-1.qif": 37,
    "nist_ftc_09_asme1_ap242.qif": 53,
}
PLAN_FILES = [
    "Plans/orderedPlan.QIF",
    "Plans/planWithHaltIf.QIF",
    "Plans/planWithWorkInstructions.QIF",
    "Plans/repeatabilityTestUsingWhile.QIF",
    "Plans/sheetMetalPlan.QIF",
    "Plans/sheetMetalPlanWithUUIDs.QIF",
    "Plans/simplePlan.QIF",
    "QIFwidget/WIDGET_QIF_PLAN.QIF",
    "QIFwidget/WIDGET_QIF_PLAN_W_QPIDS.QIF",
]

_cache: dict[Path, MbdDocument] = {}


@pytest.fixture
def samples(shared_data: Path) -> Path:
    """The QIF sample folder of the shared data (the test skips where it is absent)."""
    return shared_data / "qif" / "samples"


def _read(path: Path) -> MbdDocument:
    if path not in _cache:
        _cache[path] = read_qif_mbd(path)
    return _cache[path]


def nist(samples: Path, name: str) -> MbdDocument:
    return _read(samples / "NISTmodels" / name)


def by_designator(document: MbdDocument) -> dict[str, MbdCharacteristic]:
    return {c.designator: c for c in document.characteristics if c.designator is not None}


def by_id(document: MbdDocument) -> dict[str, MbdCharacteristic]:
    return {c.item_id: c for c in document.characteristics}


def count(path: Path, expression: str) -> int:
    found = etree.parse(str(path)).xpath(f"count({expression})", namespaces=Q)
    assert isinstance(found, float)
    return int(found)


# ---------------------------------------------------------------------------------------------
# Counts: what "a characteristic the file defines" means
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), sorted(NIST_COUNTS.items()))
def test_each_nist_model_yields_every_characteristic_it_defines(
    samples: Path, name: str, expected: int
) -> None:
    """14, 22, 16, 47, 37 and 53: one per CharacteristicNominal, the models having no items."""
    path = samples / "NISTmodels" / name
    document = nist(samples, name)
    assert len(document.characteristics) == expected
    assert count(path, "//q:CharacteristicNominals/*") == expected
    assert count(path, "//q:CharacteristicItems/*") == 0
    assert {c.source for c in document.characteristics} == {"nominal"}


@pytest.mark.parametrize("name", sorted(NIST_COUNTS))
def test_each_nist_characteristic_has_a_requirement_text_and_its_own_designator(
    samples: Path, name: str
) -> None:
    """Every characteristic reads as a drawing text, with the balloon the model gives it."""
    document = nist(samples, name)
    assert document.validated
    assert all(c.text.strip() for c in document.characteristics)
    designators = [c.designator for c in document.characteristics]
    assert None not in designators
    assert len(set(designators)) == len(designators)


@pytest.mark.parametrize("relative", PLAN_FILES)
def test_each_plan_file_yields_one_characteristic_per_item(samples: Path, relative: str) -> None:
    """Plans and widget plans: each CharacteristicItem is a characteristic, with a text."""
    path = samples / relative
    document = _read(path)
    assert len(document.characteristics) == count(path, "//q:CharacteristicItems/*") > 0
    assert {c.source for c in document.characteristics} == {"item"}
    assert all(c.text.strip() for c in document.characteristics)


def test_a_nominal_no_item_refers_to_is_still_a_characteristic() -> None:
    """A plan whose items cover one of two nominals gives two characteristics, item first."""
    data = _document(
        "<QPId>8b1c5ad4-4e43-4d3a-9a5c-0f6f3c1b2a10</QPId>"
        "<FileUnits><PrimaryUnits><LinearUnit><SIUnitName>meter</SIUnitName>"
        "<UnitName>mm</UnitName></LinearUnit></PrimaryUnits></FileUnits>"
        "<Characteristics><CharacteristicDefinitions n='1'>"
        "<DiameterCharacteristicDefinition id='1'><Tolerance><MaxValue>0.1</MaxValue>"
        "<MinValue>-0.1</MinValue><DefinedAsLimit>false</DefinedAsLimit></Tolerance>"
        "</DiameterCharacteristicDefinition></CharacteristicDefinitions>"
        "<CharacteristicNominals n='2'>"
        "<DiameterCharacteristicNominal id='2'><CharacteristicDefinitionId>1"
        "</CharacteristicDefinitionId><TargetValue>5</TargetValue>"
        "</DiameterCharacteristicNominal>"
        "<DiameterCharacteristicNominal id='3'><CharacteristicDefinitionId>1"
        "</CharacteristicDefinitionId><TargetValue>6</TargetValue>"
        "</DiameterCharacteristicNominal></CharacteristicNominals>"
        "<CharacteristicItems n='1'><DiameterCharacteristicItem id='4'>"
        "<CharacteristicNominalId>3</CharacteristicNominalId></DiameterCharacteristicItem>"
        "</CharacteristicItems></Characteristics>"
    )
    document = read_qif_mbd(io.BytesIO(data), validate=False)  # a fragment, not a full file
    assert [(c.source, c.item_id, c.text) for c in document.characteristics] == [
        ("item", "4", "⌀6 ±0.1 mm"),
        ("nominal", "2", "⌀5 ±0.1 mm"),
    ]


# ---------------------------------------------------------------------------------------------
# Requirements per characteristic type, as the files state them
# ---------------------------------------------------------------------------------------------


def test_toleranced_diameter_reads_with_its_decimal_places_and_limits(samples: Path) -> None:
    """ctc_01 nominal 1494 'Linear Size.9': TargetValue 25 (decimalPlaces 2), Tolerance ±0.15."""
    c = by_designator(nist(samples, "nist_ctc_01_asme1_ap242.qif"))["12"]
    assert (c.item_id, c.kind, c.name) == ("1494", "Diameter", "Linear Size.9")
    assert c.text == "⌀25.00 ±0.15 mm"
    assert (c.nominal, c.lower_limit, c.upper_limit, c.units) == (
        Decimal(25),
        Decimal("24.85"),
        Decimal("25.15"),
        "mm",
    )
    assert (c.upper_tolerance, c.lower_tolerance) == (Decimal("0.15"), Decimal("-0.15"))
    assert not c.is_geometric
    assert c.tolerance is None


def test_unilateral_diameter_writes_its_zero_deviation_bare(samples: Path) -> None:
    """ctc_01 nominal 1473: TargetValue 35, MaxValue 0, MinValue -0.2 (decimalPlaces 1)."""
    c = by_designator(nist(samples, "nist_ctc_01_asme1_ap242.qif"))["5"]
    assert c.text == "⌀35.00 0/-0.2 mm"
    assert (c.lower_limit, c.upper_limit) == (Decimal("34.8"), Decimal(35))


def test_limit_dimensioned_diameter_keeps_the_files_limits(samples: Path) -> None:
    """ctc_01 definition 1484: MaxValue 35.2, MinValue 34.8, DefinedAsLimit true."""
    c = by_designator(nist(samples, "nist_ctc_01_asme1_ap242.qif"))["11"]
    assert c.text == "⌀34.80 – 35.20 mm"
    assert (c.lower_limit, c.upper_limit) == (Decimal("34.8"), Decimal("35.2"))
    assert c.nominal == Decimal(35)


def test_angle_takes_the_pmi_angular_unit_of_the_file(samples: Path) -> None:
    """ctc_01 nominal 1491 'Angular Size.1': 60 ±0.5, FileUnits PMIAngularUnit degree."""
    c = by_designator(nist(samples, "nist_ctc_01_asme1_ap242.qif"))["6"]
    assert c.text == "60.00° ±0.5°"
    assert (c.units, c.lower_limit, c.upper_limit) == ("degree", Decimal("59.5"), Decimal("60.5"))


def test_position_reads_as_a_feature_control_frame_with_its_zone_as_upper_limit(
    samples: Path,
) -> None:
    """ctc_01 definition 1442: ToleranceValue 0.75, NonDiametricalZone, DRF 1440 = A|B|C."""
    c = by_designator(nist(samples, "nist_ctc_01_asme1_ap242.qif"))["14"]
    assert c.text == "⌖ 0.75 | A | B | C"
    assert (c.nominal, c.lower_limit, c.upper_limit) == (Decimal(0), Decimal(0), Decimal("0.75"))
    assert c.is_geometric
    assert c.tolerance is not None
    assert c.tolerance.symbol == "⌖"
    assert c.tolerance.value == Decimal("0.75")
    assert not c.tolerance.diameter_zone
    assert [d.label for d in c.tolerance.datums] == ["A", "B", "C"]


def test_position_at_mmc_shows_its_diameter_zone_and_datum_modifiers(samples: Path) -> None:
    """ctc_03 nominal 2068: ⌀0.05 MAXIMUM, DiametricalZone, datums A, B MAXIMUM, C MAXIMUM."""
    c = by_designator(nist(samples, "nist_ctc_03_asme1_ap242.qif"))["20"]
    assert c.text == "2X ⌖ ⌀0.05 Ⓜ | A | B Ⓜ | C Ⓜ"
    assert c.tolerance is not None
    assert c.tolerance.diameter_zone
    assert (c.tolerance.material_condition, c.tolerance.material_symbol) == ("MAXIMUM", "Ⓜ")
    assert [(d.label, d.modifiers) for d in c.tolerance.datums] == [
        ("A", (None,)),
        ("B", ("MAXIMUM",)),
        ("C", ("MAXIMUM",)),
    ]


def test_each_characteristic_keeps_the_units_its_values_state(samples: Path) -> None:
    """ctc_03 mixes units: nominal 2035 TargetValue linearUnit inch, 2055 ToleranceValue mm."""
    found = by_designator(nist(samples, "nist_ctc_03_asme1_ap242.qif"))
    assert (found["6"].text, found["6"].units) == ("⌀.438 ±.005 in", "inch")
    assert (found["7"].text, found["7"].units) == ("⌖ ⌀0.02 | A | B", "mm")


def test_a_decimal_places_hint_never_rounds_a_nominal_away(samples: Path) -> None:
    """ctc_03 nominal 2035: TargetValue 0.438 with decimalPlaces 2 shows as .438 (inch), not .44."""
    c = by_designator(nist(samples, "nist_ctc_03_asme1_ap242.qif"))["6"]
    assert c.nominal == Decimal("0.438")
    assert c.text.startswith("⌀.438 ")


def test_surface_profile_all_around_says_so(samples: Path) -> None:
    """ctc_01 definition 1461: ToleranceValue 0.5, DRF 1459 = A, Extent ALL_AROUND."""
    c = by_designator(nist(samples, "nist_ctc_01_asme1_ap242.qif"))["13"]
    assert c.text == "⌓ 0.5 | A ALL AROUND"


def test_flatness_per_unit_area_reads_as_drawn(samples: Path) -> None:
    """ctc_03 definition 2110: ToleranceValuePerUnit 0.005 over a 0.25 × 0.25 unit area."""
    c = by_designator(nist(samples, "nist_ctc_03_asme1_ap242.qif"))["14"]
    assert c.text == "⏥ 0.005/0.25×0.25"
    assert c.upper_limit == Decimal("0.005")
    assert c.tolerance is not None
    assert c.tolerance.per_unit == "0.005/0.25×0.25"


@pytest.mark.parametrize(
    ("designator", "text"),
    [
        ("18", "⌰ .002 | A"),  # TotalRunoutCharacteristicDefinition 1765
        ("2", "◎ ⌀.03 | A"),  # ConcentricityCharacteristicDefinition 1778, DiametricalZone
        ("8", "○ .002"),  # CircularityCharacteristicDefinition 1773
        ("9", "⏤ .005"),  # StraightnessCharacteristicDefinition 1781
        ("7", "↗ .035"),  # CircularRunoutCharacteristicDefinition 1796
        ("6", "⟂ .01 | C"),  # PerpendicularityCharacteristicDefinition 1787
        ("17", "⌀10.000 ±.001 in"),  # DiameterCharacteristicDefinition 1814, TargetValue 10
    ],
)
def test_ctc_05_form_orientation_and_runout_tolerances(
    samples: Path, designator: str, text: str
) -> None:
    """ctc_05 (inch): each symbol with its zone and datums, as the definitions state them."""
    c = by_designator(nist(samples, "nist_ctc_05_asme1_ap242.qif"))[designator]
    assert c.text == text
    assert c.units == "inch"


def test_basic_dimension_keeps_its_nominal_and_has_no_limits(samples: Path) -> None:
    """ctc_05 definition 1821: DimensionType BASIC_OR_TED; nominal 1822 TargetValue 2 (3 dp)."""
    c = by_designator(nist(samples, "nist_ctc_05_asme1_ap242.qif"))["15"]
    assert c.text == "2.000 in BASIC"
    assert (c.nominal, c.lower_limit, c.upper_limit) == (Decimal(2), None, None)
    assert c.dimension_type == "BASIC"


def test_statistical_tolerance_carries_the_statistical_symbol(samples: Path) -> None:
    """ctc_05 definition 6211: StatisticalCharacteristic true, Width 5 ±0.008."""
    c = by_designator(nist(samples, "nist_ctc_05_asme1_ap242.qif"))["11"]
    assert c.text == "5.000 ±.008 in ⟨ST⟩"


def test_reference_dimension_is_shown_in_parentheses(samples: Path) -> None:
    """ftc_06 definition 2463: SphericalRadius, DimensionType REFERENCE_OR_AUXILIARY, 0.5."""
    c = by_designator(nist(samples, "nist_ftc_06_asme1_ap242.qif"))["23"]
    assert c.text == "(SR.500 in) REF"
    assert c.upper_limit is None


@pytest.mark.parametrize(
    ("designator", "text"),
    [
        ("1", "2X R.50 ±.02 in"),  # RadiusCharacteristicDefinition 2397, TargetValue 0.5
        ("2", "2X S⌀1.250 ±.008 in"),  # SphericalDiameterCharacteristicDefinition 2403
        ("3", "2X ⌖ S⌀.025 | D | B | C"),  # PositionCharacteristicDefinition 2378, SphericalZone
        ("19", "2X ⌖ ⌀.025 Ⓜ | C | A | B"),  # precedence order of DRF 2384: C, A, B
    ],
)
def test_ftc_06_sizes_and_positions(samples: Path, designator: str, text: str) -> None:
    """ftc_06: radius, spherical diameter and spherical position zones as drawn."""
    assert by_designator(nist(samples, "nist_ftc_06_asme1_ap242.qif"))[designator].text == text


def test_the_pmi_linear_unit_governs_values_without_their_own(samples: Path) -> None:
    """ftc_06 FileUnits: LinearUnit mm, PMILinearUnit inch; nominal 3730 Width 12 ±0.01."""
    document = nist(samples, "nist_ftc_06_asme1_ap242.qif")
    c = by_id(document)["3730"]
    assert (c.text, c.units) == ("12.00 ±.01 in", "inch")
    assert document.linear_unit == "inch"


def test_composite_profile_keeps_both_segments_and_judges_the_first(samples: Path) -> None:
    """ftc_06 definition 2425: 0.05 to D|B|C, SecondCompositeSegmentProfileDefinition 0.010|D."""
    c = by_designator(nist(samples, "nist_ftc_06_asme1_ap242.qif"))["37"]
    assert c.text == "⌓ .05 | D | B | C\n.010 | D"
    assert [s.value for s in c.segments] == [Decimal("0.05"), Decimal("0.01")]
    assert c.upper_limit == Decimal("0.05")


def test_composite_position_at_mmc(samples: Path) -> None:
    """ftc_08 definition 4072: ⌀0.04 MAXIMUM to D|B|C, second segment ⌀0.020 (3 dp)."""
    c = by_designator(nist(samples, "nist_ftc_08_asme1_ap242-1.qif"))["18"]
    assert c.text == "10X ⌖ ⌀.04 Ⓜ | D | B | C\n⌀.020 | D | B | C"
    assert [s.material_condition for s in c.segments] == ["MAXIMUM", None]


def test_compound_datum_reads_as_a_common_datum(samples: Path) -> None:
    """ftc_08 definition 4065: DRF 4063 = D, then CompoundDatum of E and F; ALL_AROUND."""
    c = by_designator(nist(samples, "nist_ftc_08_asme1_ap242-1.qif"))["16"]
    assert c.text == "⌓ .04 | D | E-F ALL AROUND"
    assert c.tolerance is not None
    assert [d.labels for d in c.tolerance.datums] == [("D",), ("E", "F")]


def test_free_state_and_tangent_plane_modifiers_are_shown(samples: Path) -> None:
    """ftc_08 definition 4052: Parallelism 0.03, FreeState true, TangentPlane true, to A."""
    c = by_designator(nist(samples, "nist_ftc_08_asme1_ap242-1.qif"))["25"]
    assert c.text == "∥ .03 Ⓕ Ⓣ | A"
    assert c.tolerance is not None
    assert c.tolerance.modifiers == ("Ⓕ", "Ⓣ")


def test_projected_zone_and_separate_requirement(samples: Path) -> None:
    """ftc_09 definitions 2176 (ProjectedToleranceZoneValue 0.26) and 2248 (SeparateZone)."""
    found = by_designator(nist(samples, "nist_ftc_09_asme1_ap242.qif"))
    assert found["10"].text == "3X ⌖ ⌀.05 Ⓟ .26 | A | B | C\n⌀.010 | A"
    assert found["57"].text == "2X ⌖ ⌀.025 Ⓜ | A | D Ⓜ | E Ⓜ SEP REQT"


def test_cad_noise_is_trimmed_in_the_text_but_kept_in_the_values(samples: Path) -> None:
    """ftc_09 nominal 2138: TargetValue 0.234000000001 shows as ⌀0.234, stored verbatim."""
    c = by_designator(nist(samples, "nist_ftc_09_asme1_ap242.qif"))["12"]
    assert c.text == "⌀.234 ±.008 in"
    assert c.nominal == Decimal("0.234000000001")
    assert c.upper_limit == Decimal("0.242000000001032")


# ---------------------------------------------------------------------------------------------
# Plans: items with balloons, drawing locations, criticality and QPIds
# ---------------------------------------------------------------------------------------------


def test_plan_item_carries_its_location_criticality_and_direction(samples: Path) -> None:
    """simplePlan item 24: designator 2, MINOR, SHEET1 / D3; nominal 23 YAXIS 774.2698... ±0.2."""
    c = by_designator(_read(samples / "Plans/simplePlan.QIF"))["2"]
    assert (c.item_id, c.sheet, c.zone, c.criticality) == ("24", "SHEET1", "D3", "MINOR")
    assert c.text == "Y 774.270 ±0.2 mm"
    assert c.lower_limit == Decimal("774.06989746093795")


@pytest.mark.parametrize(
    ("item_id", "designator", "text", "limits"),
    [
        # LinearCoordinate 25: MaxValue 945.20274658203107, MinValue 944.80274658203098, limits
        ("27", "3", "Z 944.803 – 945.203 mm", ("944.80274658203098", "945.20274658203107")),
        # PointProfile 31: ToleranceValue 1.5, OuterDisposition 1: split 1 outside, 0.5 inside
        ("33", "4", "⌓ 1.5 Ⓤ 1", ("-0.5", "1")),
        # Position 55: ⌀1, REGARDLESS (not shown), DRF 56 = A, D LEAST, E LEAST
        ("60", "9", "⌖ ⌀1 | A | D Ⓛ | E Ⓛ", ("0", "1")),
        # Diameter 64: NonTolerance SET, TargetValue 30; the item's designator is -NONE-
        ("66", None, "⌀30 mm SET", (None, None)),
    ],
)
def test_simple_plan_requirements(
    samples: Path,
    item_id: str,
    designator: str | None,
    text: str,
    limits: tuple[str | None, str | None],
) -> None:
    """simplePlan: limits, point profile, least material datums and a non-toleranced size."""
    c = by_id(_read(samples / "Plans/simplePlan.QIF"))[item_id]
    assert (c.designator, c.text) == (designator, text)
    assert (c.lower_limit, c.upper_limit) == tuple(
        None if v is None else Decimal(v) for v in limits
    )


def test_plan_items_keep_their_qpid(samples: Path) -> None:
    """sheetMetalPlanWithUUIDs: every item's CharacteristicDesignator has a UUID."""
    document = _read(samples / "Plans/sheetMetalPlanWithUUIDs.QIF")
    assert all(c.qpid for c in document.characteristics)
    first = document.characteristics[0]
    assert (first.designator, first.text) == ("W1RFTMRA02V", "⌓ 4")


def test_widget_items_without_a_uuid_have_no_qpid(samples: Path) -> None:
    """WIDGET_QIF_PLAN_W_QPIDS: items 49 and 139 have no UUID, item 13 has 9a332d97-..."""
    found = by_id(_read(samples / "QIFwidget/WIDGET_QIF_PLAN_W_QPIDS.QIF"))
    assert found["49"].qpid is None
    assert found["139"].qpid is None
    assert found["13"].qpid == "9a332d97-16dd-441d-acd8-f400b09ea800"
    assert found["46"].text == "⌖ ⌀0.5 Ⓜ | B | A | C"


def test_a_plan_without_file_units_reads_without_units(samples: Path) -> None:
    """planWithWorkInstructions has no FileUnits; D1: 2.000, MaxValue 2.200, MinValue 1.800."""
    document = _read(samples / "Plans/planWithWorkInstructions.QIF")
    d1 = by_designator(document)["D1"]
    assert d1.units is None
    assert d1.text == "⌀2.000 +2.200/+1.800"
    assert (d1.lower_limit, d1.upper_limit) == (Decimal("3.800"), Decimal("4.200"))


def test_an_item_without_designator_has_none(samples: Path) -> None:
    """repeatabilityTestUsingWhile item 39 has a Name (6) but no CharacteristicDesignator."""
    (c,) = _read(samples / "Plans/repeatabilityTestUsingWhile.QIF").characteristics
    assert (c.designator, c.name, c.text) == (None, "6", "⌀10 ±0.4 mm")


def test_the_hash_is_the_sha256_of_the_bytes_and_a_stream_reads_like_a_path(
    samples: Path,
) -> None:
    """Reading a path or a stream of the same bytes gives the same characteristics and hash."""
    path = samples / "Plans/simplePlan.QIF"
    data = path.read_bytes()
    from_stream = read_qif_mbd(io.BytesIO(data), name="simplePlan.QIF")
    assert from_stream.file_sha256 == hashlib.sha256(data).hexdigest() == _read(path).file_sha256
    assert from_stream.characteristics == _read(path).characteristics
    assert from_stream.file_name == "simplePlan.QIF"


# ---------------------------------------------------------------------------------------------
# Hostile and broken input: QifError and nothing else
# ---------------------------------------------------------------------------------------------


def _document(body: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{head}{QIF_OPEN}{body}</QIFDocument>'
    ).encode()


_LAUGHS = "".join(f' <!ENTITY lol{i} "{(f"&lol{i - 1};") * 10}">\n' for i in range(1, 10))
BILLION_LAUGHS = _document(
    "<QPId>&lol9;</QPId>", head=f'<!DOCTYPE QIFDocument [\n <!ENTITY lol0 "lol">\n{_LAUGHS}]>\n'
)
EXTERNAL_ENTITY = _document(
    "<QPId>&xxe;</QPId>",
    head='<!DOCTYPE QIFDocument [\n <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n',
)
HOSTILE = {
    "not XML at all": b"PK\x03\x04 this is a zip, not a QIF file",
    "empty file": b"",
    "truncated XML": QIF_OPEN.encode() + b"<Characteristics><CharacteristicDefinitions>",
    "billion laughs": BILLION_LAUGHS,
    "external entity to /etc/passwd": EXTERNAL_ENTITY,
    "external DTD": b'<?xml version="1.0"?>\n<!DOCTYPE QIFDocument SYSTEM "file:///etc/passwd">\n'
    + QIF_OPEN.encode()
    + b"</QIFDocument>",
    "non-QIF root": b'<?xml version="1.0"?><html><body>hello</body></html>',
    "QIFDocument in another namespace": b'<QIFDocument xmlns="http://example.com/qif2"/>',
}


@pytest.mark.parametrize("validate", [True, False], ids=["validated", "unvalidated"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_refused_with_qif_error(case: str, validate: bool) -> None:
    """Broken XML, DTDs, entities and wrong roots raise QifError, validating or not."""
    with pytest.raises(QifError):
        read_qif_mbd(io.BytesIO(HOSTILE[case]), validate=validate)


def test_entity_declarations_are_refused_before_anything_is_expanded() -> None:
    """The billion laughs message names the DOCTYPE; the passwd file never appears."""
    with pytest.raises(QifError, match="DOCTYPE"):
        read_qif_mbd(io.BytesIO(BILLION_LAUGHS))
    with pytest.raises(QifError) as refused:
        read_qif_mbd(io.BytesIO(EXTERNAL_ENTITY))
    assert "root:" not in str(refused.value)


def test_a_wrong_root_is_named_in_the_message() -> None:
    """A document that is not a QIFDocument says which root it found."""
    with pytest.raises(QifError, match=r"root element is '\{http://example.com/qif2\}QIFDocument'"):
        read_qif_mbd(io.BytesIO(HOSTILE["QIFDocument in another namespace"]))


def _ctc_01_with(samples: Path, old: str, new: str) -> bytes:
    data = (samples / "NISTmodels/nist_ctc_01_asme1_ap242.qif").read_bytes()
    assert data.count(old.encode()) >= 1, old
    return data.replace(old.encode(), new.encode(), 1)


def test_a_value_that_is_not_a_decimal_is_refused_when_validating(samples: Path) -> None:
    """A tolerance of '0,75' breaks xs:decimal: the message names the element and value."""
    data = _ctc_01_with(samples, ">0.75</ToleranceValue>", ">0,75</ToleranceValue>")
    with pytest.raises(QifError, match=r"ToleranceValue.*'0,75'"):
        read_qif_mbd(io.BytesIO(data))


@pytest.mark.parametrize("bad", ["0,75", "NaN", "INF", "1.2.3", "", "0x10", "0.75 mm"])
def test_a_value_that_is_not_a_decimal_is_refused_with_its_line_without_schema(
    samples: Path, bad: str
) -> None:
    """Without validation the reader's own check names the element and its line."""
    data = _ctc_01_with(samples, ">0.75</ToleranceValue>", f">{bad}</ToleranceValue>")
    with pytest.raises(QifError, match=r"line \d+: <ToleranceValue> is not a decimal number"):
        read_qif_mbd(io.BytesIO(data), validate=False)


def test_a_number_no_drawing_states_is_refused_before_it_is_formatted(samples: Path) -> None:
    """1e999999999 passes the decimal pattern; printed, it would be a billion digits."""
    data = _ctc_01_with(samples, ">0.75</ToleranceValue>", ">1e999999999</ToleranceValue>")
    with pytest.raises(QifError, match=r"<ToleranceValue> is out of the range"):
        read_qif_mbd(io.BytesIO(data), validate=False)


def test_a_nominal_of_a_missing_definition_is_refused(samples: Path) -> None:
    """The schema's key references catch it; so does the reader without the schema."""
    data = _ctc_01_with(
        samples,
        "<CharacteristicDefinitionId>1442</CharacteristicDefinitionId>",
        "<CharacteristicDefinitionId>99999</CharacteristicDefinitionId>",
    )
    with pytest.raises(QifError, match=r"not valid QIF 3\.0: .*keyref"):
        read_qif_mbd(io.BytesIO(data))
    with pytest.raises(QifError, match=r"references definition '99999'"):
        read_qif_mbd(io.BytesIO(data), validate=False)


def test_a_characteristic_stating_two_units_is_refused(samples: Path) -> None:
    """ctc_01 nominal 1494 in mm with a tolerance in inch is ambiguous, not guessed."""
    data = _ctc_01_with(
        samples,
        '<MaxValue decimalPlaces="2"\n            linearUnit="mm">0.15</MaxValue>',
        '<MaxValue decimalPlaces="2"\n            linearUnit="inch">0.15</MaxValue>',
    )
    with pytest.raises(QifError, match="several units"):
        read_qif_mbd(io.BytesIO(data), validate=False)


def test_more_characteristics_than_allowed_are_refused(samples: Path) -> None:
    """A file with implausibly many characteristics stops the read."""
    with pytest.raises(QifError, match="more than 5 characteristics"):
        read_qif_mbd(samples / "NISTmodels/nist_ctc_01_asme1_ap242.qif", max_characteristics=5)


def test_a_missing_file_is_an_os_error_not_a_qif_error(tmp_path: Path) -> None:
    """A path that does not exist is the caller's problem, reported as OSError."""
    with pytest.raises(OSError, match="No such file"):
        read_qif_mbd(tmp_path / "absent.qif")


def test_the_reader_module_imports_nothing_from_firstarticle_but_the_qif_reader() -> None:
    """The adapter stays an adapter: no domain, services or storage imports."""
    source = Path(firstarticle.__file__).parent / "integrations/inspection/qif_mbd.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    assert {n for n in names if n.startswith("firstarticle")} == {
        "firstarticle.integrations.inspection.qif"
    }


def test_a_callout_on_several_features_keeps_its_count(samples: Path) -> None:
    """ctc_03 nominal 2058 applies ⌀.625 ±.005 to four features: "4X ⌀.625 ±.005 in", as
    the drawing shows it (ASME Y14.5 inch: no zero before the point)."""
    tree = etree.parse(str(samples / "NISTmodels" / "nist_ctc_03_asme1_ap242.qif"))
    (ids,) = tree.xpath(
        "//q:DiameterCharacteristicNominal[@id='2058']/q:FeatureNominalIds",
        namespaces={"q": "http://qifstandards.org/xsd/qif3"},
    )
    assert len(ids) == 4
    c = by_designator(nist(samples, "nist_ctc_03_asme1_ap242.qif"))["16"]
    assert c.text == "4X ⌀.625 ±.005 in"
    assert (c.lower_limit, c.upper_limit) == (Decimal("0.620"), Decimal("0.630"))


def test_an_inch_nominal_has_the_places_of_its_tolerance(samples: Path) -> None:
    """ctc_03 balloon 8: TargetValue 1.5 ±0.005 in reads ⌀1.500 ±.005 (Y14.5 inch)."""
    c = by_designator(nist(samples, "nist_ctc_03_asme1_ap242.qif"))["8"]
    assert c.text == "⌀1.500 ±.005 in"


def test_a_zero_tolerance_is_flagged(samples: Path) -> None:
    """ctc_01 balloon 12 (⌀25.00 ±0.15) rewritten 0/0: the text says so for a person to look."""
    data = (samples / "NISTmodels" / "nist_ctc_01_asme1_ap242.qif").read_bytes()
    tree = etree.fromstring(data)
    q = "{http://qifstandards.org/xsd/qif3}"
    definition = tree.find(f".//{q}DiameterCharacteristicDefinition[@id='1493']")
    assert definition is not None
    for tag in ("MaxValue", "MinValue"):
        element = definition.find(f"{q}Tolerance/{q}{tag}")
        assert element is not None
        element.text = "0"
    document = read_qif_mbd(io.BytesIO(etree.tostring(tree)), name="zero.qif")
    c = {x.designator: x for x in document.characteristics}["12"]
    assert c.text == f"⌀25.00 0/0 mm {ZERO_TOLERANCE_FLAG}"
    assert c.lower_limit == c.upper_limit == Decimal("25.00")
