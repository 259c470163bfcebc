"""The QIF 3.0 Results reader, against the QIF working group's own sample files.

Expected counts are computed in each test with plain lxml XPath over the raw file, so the
streaming reader is checked against an independent reading; spot values were read off the
files by eye. Hostile inputs must give QifError and nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
import textwrap
import tracemalloc
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import firstarticle
from firstarticle.integrations.inspection import qif as qif_module
from firstarticle.integrations.inspection.qif import (
    QifCharacteristic,
    QifError,
    QifResults,
    read_qif_results,
    validate_qif,
)
from firstarticle.integrations.inspection.xml_guard import checked_xml_stream

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SAMPLES = SHARED_DATA / "qif" / "samples"
PACKAGE = Path(firstarticle.__file__).resolve().parent
DEMO_DATA = PACKAGE / "demo" / "data"
DEMO_RESULTS = DEMO_DATA / "QIF_Results_Sample.QIF"
DEMO_SHEET_METAL = DEMO_DATA / "SheetMetal_QIF_Results_6_samples.QIF"
SCHEMA_DIR = PACKAGE / "integrations" / "inspection" / "qif_schema"
Q = {"q": "http://qifstandards.org/xsd/qif3"}
QIF_OPEN = '<QIFDocument xmlns="http://qifstandards.org/xsd/qif3" versionQIF="3.0.0" idMax="1">'


def _samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared QIF samples not found at {SAMPLES} (checkout without /work/shared)")
    return SAMPLES


def _results_files() -> list[str]:
    """Every Results sample plus the widget results, as ids relative to the samples folder."""
    if not SAMPLES.is_dir():
        return []
    found = [p for p in (SAMPLES / "Results").rglob("*") if p.suffix.lower() == ".qif"]
    found.append(SAMPLES / "QIFwidget" / "WIDGET_QIF_RESULTS.QIF")
    return sorted(str(p.relative_to(SAMPLES)) for p in found)


def _all_sample_files() -> list[str]:
    if not SAMPLES.is_dir():
        return []
    return sorted(
        str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.suffix.lower() == ".qif"
    )


def _xpath(path: Path, expression: str) -> list[str]:
    found = etree.parse(str(path)).xpath(expression, namespaces=Q)
    assert isinstance(found, list)
    return [" ".join(str(x).split()) for x in found]


def _by_balloon(results: QifResults) -> dict[str, QifCharacteristic]:
    return {c.balloon: c for c in results.characteristics}


def _demo_with(old: str, new: str) -> bytes:
    """The demo results file with one exact fragment replaced (it must occur)."""
    text = DEMO_RESULTS.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Counts against an independent XPath reading of every results sample
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _results_files() or ["(samples absent)"])
def test_every_results_sample_yields_one_characteristic_per_item_element(name: str) -> None:
    """The reader returns exactly the file's CharacteristicItems children, in file order."""
    path = _samples() / name
    ids = _xpath(path, "/q:QIFDocument/q:Characteristics/q:CharacteristicItems/*/@id")
    assert [c.item_id for c in read_qif_results(path).characteristics] == ids


@pytest.mark.parametrize("name", _results_files() or ["(samples absent)"])
def test_every_results_sample_yields_one_actual_per_measurement_element(name: str) -> None:
    """Each CharacteristicMeasurements child becomes one actual, with its item and status."""
    path = _samples() / name
    measurements = "//q:MeasurementResults/q:MeasuredCharacteristics/q:CharacteristicMeasurements/*"
    items = _xpath(path, measurements + "/q:CharacteristicItemId/text()")
    statuses = _xpath(path, measurements + "/q:Status/q:CharacteristicStatusEnum/text()")
    results = read_qif_results(path)
    assert [a.item_id for a in results.actuals] == items
    assert [a.status for a in results.actuals] == statuses


@pytest.mark.parametrize("name", _results_files() or ["(samples absent)"])
def test_every_results_sample_reports_its_fail_count_and_distinct_serials(name: str) -> None:
    """FAIL statuses and distinct serial numbers match what XPath counts in the file."""
    path = _samples() / name
    fails = _xpath(path, "//q:CharacteristicStatusEnum[text()='FAIL']")
    serials = list(dict.fromkeys(_xpath(path, "//q:ActualComponent/q:SerialNumber/text()")))
    results = read_qif_results(path)
    assert sum(a.status == "FAIL" for a in results.actuals) == len(fails)
    assert list(results.serials) == serials


@pytest.mark.parametrize("name", _results_files() or ["(samples absent)"])
def test_every_results_sample_hash_is_the_sha256_of_its_bytes(name: str) -> None:
    """file_sha256 is the digest of the raw file, the same whether read by path or stream."""
    path = _samples() / name
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_qif_results(path).file_sha256 == expected
    with path.open("rb") as stream:
        assert read_qif_results(stream).file_sha256 == expected
        assert not stream.closed


@pytest.mark.parametrize("name", _results_files() or ["(samples absent)"])
def test_derived_limits_agree_with_the_files_own_pass_fail_verdicts(name: str) -> None:
    """Derived acceptance limits reproduce the CMM's PASS/FAIL verdicts on every sample."""
    # Two quirks of the samples are tolerated: every point profile is reported twice, the
    # second time with value 0 and the first one's status; and one profile at -0.50011
    # against ±0.5 is PASS (the CMM compared at three decimals).
    results = read_qif_results(_samples() / name)
    chars = {c.item_id: c for c in results.characteristics}
    checked = 0
    for actual in results.actuals:
        char = chars[actual.item_id]
        if actual.value is None or actual.status not in {"PASS", "FAIL"}:
            continue
        if char.upper_limit is None or char.lower_limit is None:
            continue
        inside = char.lower_limit <= actual.value <= char.upper_limit
        checked += 1
        if inside == (actual.status == "PASS"):
            continue
        zero_repeat = char.kind == "PointProfileCharacteristic" and actual.value == 0
        margin = min(abs(actual.value - char.upper_limit), abs(actual.value - char.lower_limit))
        assert zero_repeat or margin < Decimal("0.001"), (char, actual)
    assert checked or not results.actuals


# ---------------------------------------------------------------------------------------------
# Spot values read off the files by eye
# ---------------------------------------------------------------------------------------------


def test_results_sample_size_characteristic_reads_as_on_the_drawing() -> None:
    """Balloon 6 is a ⌀10 ±0.4 mm hole in zone C1, MINOR, measured 9.499476: FAIL, NC 1234."""
    results = read_qif_results(DEMO_RESULTS)
    hole = _by_balloon(results)["6"]
    assert hole.item_id == "50"
    assert hole.kind == "DiameterCharacteristic"
    assert (hole.sheet, hole.zone, hole.criticality) == ("SHEET1", "C1", "MINOR")
    assert (hole.nominal, hole.upper_tolerance, hole.lower_tolerance) == (
        Decimal("10"),
        Decimal("0.4"),
        Decimal("-0.4"),
    )
    assert (hole.lower_limit, hole.upper_limit) == (Decimal("9.6"), Decimal("10.4"))
    assert hole.units == "mm"
    assert hole.requirement_text == "⌀10.0 +0.4/-0.4 mm"
    [actual] = [a for a in results.actuals if a.balloon == "6"]
    assert actual.value == Decimal("9.499476")
    assert (actual.status, actual.nonconformance, actual.device) == ("FAIL", "1234", "CMM")
    assert actual.serial is None


def test_results_sample_position_reads_as_a_feature_control_frame() -> None:
    """Balloon 7 is ⌖ ⌀1 at MMC to A, B(M), C(M), CRITICAL, checked with gage pins: PASS."""
    results = read_qif_results(DEMO_RESULTS)
    position = _by_balloon(results)["7"]
    assert position.kind == "PositionCharacteristic"
    assert position.criticality == "CRITICAL"
    assert (position.nominal, position.upper_tolerance, position.lower_tolerance) == (
        Decimal(0),
        Decimal("1"),
        Decimal(0),
    )
    assert position.requirement_text == "⌖ ⌀1 Ⓜ | A | B Ⓜ | C Ⓜ"
    [actual] = [a for a in results.actuals if a.balloon == "7"]
    assert actual.value == Decimal("0.897298445619006")
    assert (actual.status, actual.nonconformance, actual.device) == ("PASS", None, "GAGE PINS")


def test_results_sample_limit_dimension_keeps_its_limits_without_inventing_a_nominal() -> None:
    """Balloon 3 is given as limits 944.80274658203098 / 945.20274658203107, MAJOR, zone D3."""
    coordinate = _by_balloon(read_qif_results(DEMO_RESULTS))["3"]
    assert coordinate.nominal is None
    assert coordinate.upper_tolerance is None
    assert coordinate.lower_tolerance is None
    assert coordinate.lower_limit == Decimal("944.80274658203098")
    assert coordinate.upper_limit == Decimal("945.20274658203107")
    assert (coordinate.criticality, coordinate.zone) == ("MAJOR", "D3")
    assert coordinate.requirement_text == "944.803 – 945.203 mm"


def test_results_sample_offset_point_profile_splits_its_zone_around_zero() -> None:
    """Balloon 4 is "an offset profile zone +1.0/-0.5": zone 1.5 with 1 outside the material."""
    profile = _by_balloon(read_qif_results(DEMO_RESULTS))["4"]
    assert (profile.upper_tolerance, profile.lower_tolerance) == (Decimal("1"), Decimal("-0.5"))
    assert profile.requirement_text == "⌓ 1.5 Ⓤ 1"
    assert profile.criticality == "CRITICAL"


def test_results_sample_traceability_and_designator_uuid_are_carried() -> None:
    """Part QM_X_123456 rev 1.02, report "QIF 1", DETAIL FAI_Full; balloon 9 has a UUID."""
    results = read_qif_results(DEMO_RESULTS)
    assert (results.part_number, results.part_name, results.part_revision) == (
        "QM_X_123456",
        None,
        "1.02",
    )
    assert (results.report_number, results.inspection_scope, results.inspection_mode) == (
        "QIF 1",
        "DETAIL",
        "FAI_Full",
    )
    assert (results.supplier_code, results.purchase_order_number) == ("North_Fab", "PO123456")
    assert (results.drawing_number, results.drawing_revision) == ("#1", "1.0.0")
    assert _by_balloon(results)["9"].qpid == "e72400ec-3860-4fe3-a1f3-4838a46cb642"
    assert results.serials == ()
    # "NA" is what the CMM writes for "no nonconformance"; it is not an NC number.
    assert {a.nonconformance for a in results.actuals} == {None, "1234"}


def test_sheet_metal_results_give_each_serial_its_own_results_block() -> None:
    """Six MeasurementResults blocks map through ActualComponentIds to SN5802801..SN5802806."""
    results = read_qif_results(DEMO_SHEET_METAL)
    assert results.serials == tuple(f"SN580280{i}" for i in range(1, 7))
    per_serial = Counter(a.serial for a in results.actuals)
    assert per_serial == dict.fromkeys(results.serials, 38)
    fails = Counter(a.serial for a in results.actuals if a.status == "FAIL")
    assert fails == {"SN5802802": 2, "SN5802803": 2, "SN5802806": 10}
    assert (results.part_number, results.part_revision) == ("Wing mirror reinforcement", "1.6")
    assert len(results.characteristics) == 21


def test_sheet_metal_combined_file_matches_the_six_single_serial_files() -> None:
    """For each serial, the combined file's results equal that serial's own file."""
    combined = read_qif_results(_samples() / "Results" / "Sheet_Metal" / DEMO_SHEET_METAL.name)
    for i in range(1, 7):
        single = read_qif_results(
            SAMPLES / "Results" / "Sheet_Metal" / f"SheetMetal_QIF_Results_sample_{i}.QIF"
        )
        assert single.serials == (f"SN580280{i}",)
        mine = [(a.balloon, a.value, a.status) for a in single.actuals]
        theirs = [
            (a.balloon, a.value, a.status) for a in combined.actuals if a.serial == f"SN580280{i}"
        ]
        assert mine == theirs
        assert single.characteristics == combined.characteristics


def test_widget_results_distance_out_of_tolerance_is_a_fail() -> None:
    """Widget balloon 19 is 105 ±0.25 mm, measured 104.63: FAIL."""
    results = read_qif_results(_samples() / "QIFwidget" / "WIDGET_QIF_RESULTS.QIF")
    distance = _by_balloon(results)["19"]
    assert (distance.nominal, distance.upper_tolerance, distance.lower_tolerance) == (
        Decimal("105"),
        Decimal("0.25"),
        Decimal("-0.25"),
    )
    assert distance.requirement_text == "105.00 +0.25/-0.25 mm"
    [actual] = [a for a in results.actuals if a.balloon == "19"]
    assert (actual.value, actual.status) == (Decimal("104.63"), "FAIL")


def test_angle_characteristic_takes_the_angular_unit_of_the_file() -> None:
    """The points sample's ANGLE_CPLANE is 40° ±2.864788975654° (its AngularUnit is degree)."""
    angle = _by_balloon(read_qif_results(_samples() / "Results" / "QIF_PTS_SAMPLE.QIF"))[
        "ANGLE_CPLANE"
    ]
    assert angle.units == "degree"
    assert angle.nominal == Decimal("40")
    assert angle.upper_tolerance == Decimal("2.864788975654")
    assert angle.requirement_text.endswith("°")


def test_measurement_device_on_the_measurement_wins_over_the_items_candidates() -> None:
    """testPython30 items allow CMM1 and CMM2; each measurement names CMM2 (id 8)."""
    results = read_qif_results(_samples() / "Results" / "testPython30.qif")
    assert {a.device for a in results.actuals} == {"CMM2"}


def test_results_without_characteristics_still_report_their_serial() -> None:
    """The Mitutoyo sample has one serial (SN#1234-56789), a part label and no measurements."""
    results = read_qif_results(
        _samples() / "Results" / "mitutoyo_results_serialized_pass_fail_sample.QIF"
    )
    assert results.serials == ("SN#1234-56789",)
    assert results.part_name == "Widget"
    assert results.characteristics == ()
    assert results.actuals == ()


def test_every_number_is_a_decimal_and_never_a_float() -> None:
    """All numeric fields of characteristics and actuals are Decimal or None."""
    results = read_qif_results(DEMO_SHEET_METAL)
    for char in results.characteristics:
        for number in (char.nominal, char.upper_tolerance, char.lower_tolerance):
            assert number is None or isinstance(number, Decimal)
    assert all(isinstance(a.value, Decimal) for a in results.actuals)


def test_measurement_timestamp_with_an_offset_is_timezone_aware() -> None:
    """A TimeStamp with a UTC offset becomes an aware datetime; measurements without keep None."""
    data = _demo_with(
        "<CharacteristicItemId>50</CharacteristicItemId>",
        "<CharacteristicItemId>50</CharacteristicItemId>"
        "<TimeStamp>2015-10-23T05:36:11.25-04:00</TimeStamp>",
    )
    results = read_qif_results(io.BytesIO(data))
    [stamped] = [a for a in results.actuals if a.measured_at is not None]
    assert stamped.balloon == "6"
    assert stamped.measured_at is not None
    assert stamped.measured_at.utcoffset() is not None
    assert stamped.measured_at.isoformat() == "2015-10-23T05:36:11.250000-04:00"


def test_a_utf16_file_with_its_byte_order_mark_is_read() -> None:
    """Encoding is the XML parser's business: a correctly declared UTF-16 file reads the same."""
    text = DEMO_RESULTS.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    results = read_qif_results(io.BytesIO(text.encode("utf-16")))
    assert len(results.actuals) == 13


def test_the_reader_module_imports_nothing_from_the_rest_of_firstarticle() -> None:
    """The QIF module stands alone but for the prolog check, which stands alone itself."""
    import ast

    def imported_by(module: str) -> set[str]:
        path = PACKAGE / "integrations" / "inspection" / f"{module}.py"
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add("." * node.level + (node.module or ""))
        return {m for m in imported if m.startswith(("firstarticle", "."))}

    assert imported_by("qif") == {"firstarticle.integrations.inspection.xml_guard"}
    assert not imported_by("xml_guard")


# ---------------------------------------------------------------------------------------------
# Schema validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _all_sample_files() or ["(samples absent)"])
def test_every_sample_file_validates_against_the_packaged_schema(name: str) -> None:
    """All QIF 3.0 samples of the working group are valid against the copy we ship."""
    assert validate_qif(_samples() / name) is None


def test_the_packaged_demo_copies_validate_and_keep_their_licence() -> None:
    """Demo files and schema ship with the Boost licence notice beside them."""
    validate_qif(DEMO_RESULTS)
    validate_qif(DEMO_SHEET_METAL)
    assert "Boost Software License" in (DEMO_DATA / "LICENSE-QIF.md").read_text(encoding="utf-8")
    assert "Boost Software License" in (SCHEMA_DIR / "LICENSE.md").read_text(encoding="utf-8")


def test_schema_invalid_document_is_refused_with_its_first_errors_and_lines() -> None:
    """A well-formed but invalid QIF document raises QifError naming the broken elements."""
    data = _demo_with("<Value>9.499476</Value>", "<Value>9.499476</Value><Bogus/>")
    with pytest.raises(QifError, match=r"not valid QIF 3\.0: line \d+: .*Bogus"):
        validate_qif(io.BytesIO(data))


# ---------------------------------------------------------------------------------------------
# Hostile and broken input: QifError and nothing else
# ---------------------------------------------------------------------------------------------

# Nine levels of ten: a billion "lol"s, some 3 GB, if anything ever expanded them.
_LAUGHS = "".join(f' <!ENTITY lol{i} "{(f"&lol{i - 1};") * 10}">\n' for i in range(1, 10))
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE QIFDocument [\n <!ENTITY lol0 "lol">\n'
    + _LAUGHS
    + "]>\n"
    + QIF_OPEN
    + "<QPId>&lol9;</QPId></QIFDocument>"
).encode()
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE QIFDocument [\n'
    b' <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    + QIF_OPEN.encode()
    + b"<QPId>&xxe;</QPId></QIFDocument>"
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?>\n<!DOCTYPE QIFDocument SYSTEM "file:///etc/passwd">\n'
    + QIF_OPEN.encode()
    + b"</QIFDocument>"
)

HOSTILE = {
    "not XML at all": b"PK\x03\x04 this is a zip, not a QIF file",
    "empty file": b"",
    "truncated XML": QIF_OPEN.encode() + b"<Header><Application>",
    "billion laughs": BILLION_LAUGHS,
    "external entity to /etc/passwd": EXTERNAL_ENTITY,
    "external DTD": EXTERNAL_DTD,
    "non-QIF root": b'<?xml version="1.0"?><html><body>hello</body></html>',
    "QIFDocument in another namespace": b'<QIFDocument xmlns="http://example.com/qif2"/>',
    "QIFDocument without namespace": b"<QIFDocument/>",
    "UTF-16 declared over UTF-8 bytes": b'<?xml version="1.0" encoding="UTF-16"?>'
    + QIF_OPEN.encode()
    + b"</QIFDocument>",
    "unknown encoding declared": b'<?xml version="1.0" encoding="x-qif-9"?>'
    + QIF_OPEN.encode()
    + b"</QIFDocument>",
    "Latin-1 bytes under a UTF-8 declaration": b'<?xml version="1.0" encoding="UTF-8"?>'
    + QIF_OPEN.encode()
    + b"<QPId>caf\xe9</QPId></QIFDocument>",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_refused_by_the_reader_with_qif_error(case: str) -> None:
    """Broken XML, DTDs, entities, wrong roots and wrong encodings raise QifError only."""
    with pytest.raises(QifError):
        read_qif_results(io.BytesIO(HOSTILE[case]))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_refused_by_the_validator_with_qif_error(case: str) -> None:
    """The validator parses with the same hardening and refuses the same input."""
    with pytest.raises(QifError):
        validate_qif(io.BytesIO(HOSTILE[case]))


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_entity_declarations_are_refused_before_the_parser_sees_them(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our own prolog check refuses a DTD with a stable code; lxml is never asked to parse."""

    def parser_must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser was reached")

    monkeypatch.setattr(qif_module, "_iterparse", parser_must_not_run)
    monkeypatch.setattr(qif_module.etree, "parse", parser_must_not_run)
    with pytest.raises(QifError) as refused:
        read_qif_results(io.BytesIO(data))
    assert refused.value.code == "xml_declaration_refused"
    with pytest.raises(QifError) as refused:
        validate_qif(io.BytesIO(data))
    assert refused.value.code == "xml_declaration_refused"
    assert "root:x" not in str(refused.value)


@pytest.mark.parametrize(
    ("prolog", "code"),
    [
        (b"\xef\xbb\xbf<!-- a comment -->\n<?pi x?>\n<!DOCTYPE a []>", "xml_declaration_refused"),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a>'.encode("utf-16"),
            "xml_declaration_refused",
        ),
        ("<!DOCTYPE a>".encode("utf-32-le"), "xml_declaration_refused"),
        (b"   \n" + b" " * 70_000 + b"<QIFDocument/>", "xml_prolog_unreadable"),
        (b"\x4c\x6f\xa7\x94\x93", "xml_prolog_unreadable"),  # "<?xml" in EBCDIC
    ],
    ids=["after BOM, comment and PI", "UTF-16", "UTF-32 without BOM", "endless prolog", "EBCDIC"],
)
def test_the_prolog_check_sees_through_encodings_and_bounds_its_reading(
    prolog: bytes, code: str
) -> None:
    """Whatever the encoding, a declaration is found; an unreadable prolog is refused too."""
    with pytest.raises(QifError) as refused:
        read_qif_results(io.BytesIO(prolog))
    assert refused.value.code == code


def test_the_prolog_check_hands_every_byte_on_to_the_parser() -> None:
    """A good file read through the check gives the same hash and results as before."""
    data = BILLION_LAUGHS.split(b"]>\n", 1)[1].replace(b"&lol9;", b"x")
    stream = checked_xml_stream(io.BytesIO(b"<?xml version='1.0'?>\n<!-- c -->" + data))
    assert stream.read(3) + stream.read() == b"<?xml version='1.0'?>\n<!-- c -->" + data


@pytest.mark.parametrize("bad", ["9,499476", "NaN", "INF", "1.2.3", "", "0x10", "9.5 mm"])
def test_a_value_that_is_not_a_decimal_is_refused_with_its_line(bad: str) -> None:
    """A measured Value must be a decimal number; the error names the element and line."""
    data = _demo_with("<Value>9.499476</Value>", f"<Value>{bad}</Value>")
    with pytest.raises(QifError, match=r"line \d+: <Value> is not a decimal number"):
        read_qif_results(io.BytesIO(data))


def test_a_tolerance_that_is_not_a_decimal_is_refused() -> None:
    """Requirement numbers are checked too, not only results."""
    data = _demo_with("<MaxValue>0.4</MaxValue>", "<MaxValue>four tenths</MaxValue>")
    with pytest.raises(QifError, match="<MaxValue> is not a decimal number"):
        read_qif_results(io.BytesIO(data))


def test_an_actual_for_an_unknown_characteristic_item_is_refused() -> None:
    """A measurement pointing at an item id the file does not define is an error, not a skip."""
    data = _demo_with(
        "<CharacteristicItemId>50</CharacteristicItemId>",
        "<CharacteristicItemId>9999</CharacteristicItemId>",
    )
    with pytest.raises(QifError, match=r"line \d+: .*characteristic item '9999'"):
        read_qif_results(io.BytesIO(data))


def test_a_timestamp_that_is_not_a_date_time_is_refused() -> None:
    """A measurement TimeStamp must be an xs:dateTime."""
    data = _demo_with(
        "<CharacteristicItemId>50</CharacteristicItemId>",
        "<CharacteristicItemId>50</CharacteristicItemId><TimeStamp>yesterday</TimeStamp>",
    )
    with pytest.raises(QifError, match="TimeStamp"):
        read_qif_results(io.BytesIO(data))


def test_a_missing_file_is_an_os_error_not_a_qif_error(tmp_path: Path) -> None:
    """Content problems are QifError; a path that cannot be opened stays an OSError."""
    with pytest.raises(FileNotFoundError):
        read_qif_results(tmp_path / "absent.qif")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    cut=st.integers(min_value=0, max_value=len(DEMO_RESULTS.read_bytes())),
    flips=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(DEMO_RESULTS.read_bytes()) - 1),
            st.binary(min_size=1, max_size=1),
        ),
        max_size=4,
    ),
)
def test_damaged_copies_of_a_real_file_read_cleanly_or_raise_qif_error(
    cut: int, flips: list[tuple[int, bytes]]
) -> None:
    """Truncating a real file anywhere and flipping bytes never escapes as another exception."""
    data = bytearray(DEMO_RESULTS.read_bytes()[: max(cut, 1)])
    for position, byte in flips:
        if position < len(data):
            data[position : position + 1] = byte
    with contextlib.suppress(QifError):
        read_qif_results(io.BytesIO(bytes(data)))


# ---------------------------------------------------------------------------------------------
# Streaming: memory stays flat in file size
# ---------------------------------------------------------------------------------------------


def _write_large_results(path: Path, target_bytes: int) -> int:
    """Write about ``target_bytes`` of results; return how many measurements were written.

    The demo's 13 measurements are repeated 40 times in each MeasurementResults block, and
    blocks are repeated, each with its own serial, until the size is reached.
    """
    text = DEMO_RESULTS.read_text(encoding="utf-8")
    head, rest = text.split('<MeasurementResultsSet n="1">', 1)
    results_block, tail = rest.split("</MeasurementResultsSet>", 1)
    open_tag = '<CharacteristicMeasurements n="13">'
    before, after = results_block.split(open_tag, 1)
    measurements, after = after.split("</CharacteristicMeasurements>", 1)
    after = after.replace("<Id>4</Id>", "<Id>{component}</Id>")
    per_block = 40  # 520 measurements per measured part
    block_text = before + open_tag + measurements * per_block + "</CharacteristicMeasurements>"
    blocks = max(1, target_bytes // len(block_text.encode()))
    components = "".join(
        f'<ActualComponentSet n="1"><ActualComponent id="c{i}">'
        f"<SerialNumber>SN{i:06d}</SerialNumber>"
        "<Status><InspectionStatusEnum>FAIL</InspectionStatusEnum></Status>"
        "</ActualComponent></ActualComponentSet>"
        for i in range(blocks)
    )
    tail = tail.replace(
        tail[tail.index("<ActualComponentSets") : tail.index("</ActualComponentSets>")],
        f'<ActualComponentSets n="{blocks}">{components}',
    )
    with path.open("w", encoding="utf-8") as out:
        out.write(head + f'<MeasurementResultsSet n="{blocks}">')
        for i in range(blocks):
            out.write(block_text + after.replace("{component}", f"c{i}"))
        out.write("</MeasurementResultsSet>" + tail)
    return blocks * per_block * 13


@pytest.fixture(scope="module")
def large_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A synthetic ~20 MB results file and its measurement count, built once."""
    path = tmp_path_factory.mktemp("qif") / "large_results.qif"
    count = _write_large_results(path, 20 * 1024 * 1024)
    return path, count


def test_large_file_is_read_completely_with_serials_resolved(
    large_results: tuple[Path, int],
) -> None:
    """Every repeated measurement comes back, each carrying its own block's serial."""
    path, count = large_results
    results = read_qif_results(path)
    assert len(results.actuals) == count
    assert len(results.serials) == count // (40 * 13)
    assert results.actuals[0].serial == "SN000000"
    assert results.actuals[-1].serial == results.serials[-1]


def test_streamed_read_keeps_python_memory_well_below_the_file_size(
    large_results: tuple[Path, int],
) -> None:
    """tracemalloc peak stays under half the file size, and parsing adds little to the result."""
    # What remains is the result (one small object and one Decimal per measurement); the
    # transient part, peak minus what the result keeps, must be a few percent of the file.
    path, _ = large_results
    size = path.stat().st_size
    assert size > 15 * 1024 * 1024
    tracemalloc.start()
    try:
        results = read_qif_results(path)
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert results.actuals
    assert peak < size / 2, (peak, size)
    assert peak - retained < size / 20, (peak, retained, size)


def test_streamed_read_does_not_keep_the_xml_tree_in_native_memory(
    large_results: tuple[Path, int],
) -> None:
    """The process's peak RSS grows by less than the file size: no libxml2 tree is kept."""
    # libxml2's tree is invisible to tracemalloc, hence RSS, in a fresh interpreter so that the
    # peak is the read's own. Keeping the tree costs about 7x the file (measured: 145 MB for
    # 21 MB); streaming costs about the result's size (9 MB).
    pytest.importorskip("resource", reason="peak RSS needs the POSIX resource module")
    path, _ = large_results
    size = path.stat().st_size
    script = textwrap.dedent(
        """
        import resource, sys
        from firstarticle.integrations.inspection.qif import read_qif_results
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results = read_qif_results(sys.argv[1])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, len(results.actuals))
        """
    )
    src = str(PACKAGE.parent)
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": src},
    )
    grown = int(done.stdout.split()[0])
    assert grown < size * 0.75, (grown, size)
