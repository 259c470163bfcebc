"""The generic CSV and Zeiss Calypso readers, and format detection, without a database.

Each reader is fed bytes and must give plain rows, row problems named by row and column, or
a ResultFileError naming the line: never another exception, never a silent drop.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstarticle.domain.model import new_id, new_ids
from firstarticle.integrations.inspection.calypso import balloons_of, read_calypso_results
from firstarticle.integrations.inspection.csv_results import read_csv_results
from firstarticle.integrations.inspection.formats import detect_format
from firstarticle.integrations.inspection.incoming import (
    MAX_LINE_BYTES,
    IncomingResult,
    ResultFileError,
    RowProblem,
    metadata_tags,
)
from firstarticle.integrations.inspection.qif_export import (
    ExportActual,
    ExportCharacteristic,
    ExportHeader,
    write_qif_results,
)
from firstarticle.integrations.inspection.qif_rows import FULL_VALIDATION_MAX_BYTES, read_qif_rows
from firstarticle.services.result_import import UnsupportedResultFormatError

CALYPSO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "calypso" / "4471-220_FAI_chr.txt"
HEADER = "balloon,serial_number,value,units,attribute,status,measured_at,operator,device\n"


def csv_rows(data: bytes | str) -> list[IncomingResult | RowProblem]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return list(read_csv_results(io.BytesIO(raw), "test.csv").rows)


def only(rows: list[IncomingResult | RowProblem]) -> IncomingResult:
    (row,) = rows
    assert isinstance(row, IncomingResult), row
    return row


def problem(rows: list[IncomingResult | RowProblem]) -> RowProblem:
    (row,) = rows
    assert isinstance(row, RowProblem), row
    return row


# --- generic CSV ------------------------------------------------------------------------------


def test_a_csv_row_becomes_a_result_with_every_documented_column() -> None:
    """Balloon, serial, Decimal value, units, status, aware time, operator and device."""
    row = only(csv_rows(HEADER + "7,SN01,-0.020,mm,,pass,2026-11-20T09:30:00+01:00,ana,CMM-2\n"))
    assert (row.row, row.balloon, row.serial, row.value, row.units) == (
        2,
        "7",
        "SN01",
        Decimal("-0.020"),
        "mm",
    )
    assert (row.status, row.operator, row.device) == ("PASS", "ana", "CMM-2")
    assert row.measured_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_columns_are_found_by_name_in_any_order_and_case() -> None:
    """A reordered header with spaces and capitals reads the same."""
    data = "Serial Number;Units;Value;Balloon\nSN9;in;1,25;3\n"
    row = only(csv_rows(data))
    assert (row.balloon, row.serial, row.value, row.units) == ("3", "SN9", Decimal("1.25"), "in")


def test_a_byte_order_mark_and_windows_line_ends_are_fine() -> None:
    """Excel's UTF-8 export (BOM, CRLF) reads like any other."""
    data = ("\ufeff" + HEADER + "1,SN1,25.00,mm,,,,,\r\n").encode("utf-8")
    assert only(csv_rows(data)).balloon == "1"


def test_a_quoted_cell_may_hold_the_separator() -> None:
    """The device name "Gauge, height" stays one cell."""
    row = only(csv_rows(HEADER + '1,SN1,25,mm,,,,,"Gauge, height"\n'))
    assert row.device == "Gauge, height"


def test_an_attribute_row_carries_the_verdict_and_no_value() -> None:
    """accept / reject in any case; the value stays empty."""
    row = only(csv_rows(HEADER + "8,SN1,,,Accept,,,,\n"))
    assert (row.value, row.attribute) == (None, "accept")


def test_metadata_tags_in_comments_fill_what_rows_leave_blank() -> None:
    """Portal tags before the header give serial, device, operator and time to every row."""
    data = (
        "# <serialnumber=SN77> <measdevice=CMM 231> <operator=John Smith>\n"
        "# <partnumber=PN4321> <partrevision=C> <starttime=2026-11-18T07:00:00>\n"
        + HEADER
        + "1,,25,mm,,,,,\n"
    )
    result = read_csv_results(io.BytesIO(data.encode()), "tags.csv")
    row = only(list(result.rows))
    assert (row.serial, row.device, row.operator) == ("SN77", "CMM 231", "John Smith")
    assert row.measured_at == datetime(2026, 11, 18, 7, 0)
    assert (result.metadata.part_number, result.metadata.part_revision) == ("PN4321", "C")


def test_unknown_columns_are_ignored_and_named() -> None:
    """A comment column is not an error; the file's notes list it."""
    result = read_csv_results(io.BytesIO(b"balloon,value,units,comment\n1,2,mm,ok\n"), "x.csv")
    assert result.notes == ["columns ignored: comment"]
    assert only(list(result.rows)).value == Decimal(2)


@pytest.mark.parametrize(
    ("cells", "code", "column"),
    [
        ("1,SN1,12.5.1,mm,,,,,", "value_not_decimal", "value"),
        ("1,SN1,NaN,mm,,,,,", "value_not_decimal", "value"),
        ("1,SN1,25,mm,accept,,,,", "value_or_attribute", "value"),
        ("1,SN1,,,,,,,", "value_or_attribute", "value"),
        ("1,SN1,,,maybe,,,,", "attribute_invalid", "attribute"),
        ("1,SN1,25,mm,,OK,,,", "status_invalid", "status"),
        ("1,SN1,25,mm,,,yesterday,,", "measured_at_invalid", "measured_at"),
        (",SN1,25,mm,,,,,", "balloon_missing", "balloon"),
        ("1,SN1,25,mm,,,,,,,extra", "too_many_cells", None),
    ],
)
def test_a_row_that_cannot_be_read_is_a_problem_naming_its_row_and_column(
    cells: str, code: str, column: str | None
) -> None:
    """Each malformed cell gives its own code, with the row number and column."""
    found = problem(csv_rows(HEADER + cells + "\n"))
    assert (found.row, found.code, found.column) == (2, code, column)


@pytest.mark.parametrize(
    ("column", "payload"),
    [
        ("balloon", "=1+1"),
        ("serial_number", "+SN1"),
        ("units", "-mm"),
        ("operator", "@SUM(A1)"),
        ("device", '=HYPERLINK("http://x")'),
        ("operator", "\t=cmd"),
    ],
)
def test_a_formula_in_a_text_cell_is_refused_naming_row_and_column(
    column: str, payload: str
) -> None:
    """CSV injection: = + - @ and tab at the start of a text cell refuse the row."""
    cells = {"balloon": "1", "serial_number": "SN1", "value": "25", "units": "mm"}
    cells[column] = payload
    header = "balloon,serial_number,value,units,operator,device\n"
    line = ",".join(
        '"' + cells.get(c, "").replace('"', '""') + '"'
        for c in ("balloon", "serial_number", "value", "units", "operator", "device")
    )
    found = problem(csv_rows(header + line + "\n"))
    assert (found.row, found.code, found.column) == (2, "formula_injection", column)
    assert f"column {column!r}" in found.message


def test_a_negative_number_and_a_lone_dash_are_not_formulas() -> None:
    """-0.02 is a value; '-' in a text cell means blank."""
    row = only(csv_rows(HEADER + "1,SN1,-0.02,mm,,,,-,-\n"))
    assert (row.value, row.operator, row.device) == (Decimal("-0.02"), None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (("\ufeffbalo\u00f1,value\n1,2\n").encode("latin-1", "replace"), "not UTF-8"),
        (HEADER.encode() + "1,SN1,25,mm,,,,Jos\u00e9,\n".encode("latin-1"), "line 2: byte 0xe9"),
        ((HEADER + "1,SN1,25,mm,,,,,\n").encode("utf-16"), "UTF-16"),
        ((HEADER + "1,SN1,25,mm,,,,,\n").encode("utf-32"), "UTF-16"),
        (HEADER.encode() + b"1,SN1,25,mm,,,,x\x00y,\n", "NUL"),
        (HEADER.encode() + b"1,SN1," + b"7" * (MAX_LINE_BYTES + 10) + b"\n", "longer than"),
        (HEADER.encode() + b'1,"SN1,25,mm,,,,,\n', "not a well-formed CSV line"),
        (b"value,units\n1,mm\n", "no 'balloon' column"),
        (b"balloon,units\n1,mm\n", "neither a 'value' nor an 'attribute'"),
        (b"balloon,value,value\n1,2,3\n", "appears twice"),
        (b"\n\n# only comments\n", "no header line"),
    ],
)
def test_a_file_that_cannot_be_read_raises_with_its_line(data: bytes, message: str) -> None:
    """Wrong encodings, NUL, huge lines, broken quoting and bad headers: ResultFileError."""
    with pytest.raises(ResultFileError, match=message):
        list(read_csv_results(io.BytesIO(data), "bad.csv").rows)


def test_the_file_hash_covers_every_byte_even_when_rows_are_not_all_read() -> None:
    """sha256() finishes reading the stream, so the hash is the whole file's."""
    data = (HEADER + "1,SN1,25,mm,,,,,\n" * 50).encode()
    result = read_csv_results(io.BytesIO(data), "x.csv")
    next(result.rows)
    assert result.sha256() == hashlib.sha256(data).hexdigest()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_give_rows_problems_or_a_file_error_and_nothing_else(
    junk: bytes,
) -> None:
    """Fuzzed input after a valid header never escapes as another exception."""
    try:
        rows = csv_rows(HEADER.encode() + junk)
    except ResultFileError:
        return
    assert all(isinstance(r, IncomingResult | RowProblem) for r in rows)


# --- Zeiss Calypso ----------------------------------------------------------------------------

CALYPSO_HEADER = (
    "planid\tpartnb\tid\ttype\tidsymbol\tactual\tnominal\tuppertol\tlowertol\tdeviation\t"
    "exceed\twarningLimitCF\tfeatureid\tunit\t\n"
)


def calypso_rows(body: str, *, header: str = CALYPSO_HEADER) -> list[IncomingResult | RowProblem]:
    data = (header + body).encode("utf-8")
    return list(read_calypso_results(io.BytesIO(data), "plan_chr.txt").rows)


def test_the_synthetic_calypso_file_reads_as_sixteen_results_and_four_helpers() -> None:
    """Two parts x (8 ballooned rows, one row for two balloons) + two helper rows each."""
    with CALYPSO_SAMPLE.open("rb") as handle:
        result = read_calypso_results(handle)
        rows = list(result.rows)
    assert result.fmt == "calypso"
    results = [r for r in rows if isinstance(r, IncomingResult) and r.skip is None]
    skipped = [r for r in rows if isinstance(r, IncomingResult) and r.skip is not None]
    assert len(results) == 16
    assert len(skipped) == 4
    assert sorted({r.serial for r in results}) == ["1001", "1002"]
    assert [r.balloon for r in results if r.row == 13] == ["7", "8"]
    fail = [(r.balloon, r.serial) for r in results if r.status == "FAIL"]
    assert fail == [("4", "1002")]
    assert result.metadata.part_number == "4471-220"
    assert {r.device for r in results} == {"Contura G2 (SN 41-2210)"}
    assert {r.program for r in results} == {"4471-220_FAI"}


def test_a_calypso_row_gives_value_units_limits_and_stated_status() -> None:
    """Nominal plus signed tolerances become limits; a non-zero exceed is FAIL."""
    cells = "P1|17|Diameter <12>|D|diameter|10.0620|10.0000|0.0500|-0.0500|0.062|0.0120||Cyl|mm"
    body = cells.replace("|", "\t") + "\n"
    row = only(calypso_rows(body))
    assert (row.balloon, row.serial, row.value, row.units) == ("12", "17", Decimal("10.0620"), "mm")
    assert (row.lower_limit, row.upper_limit, row.status) == (
        Decimal("9.9500"),
        Decimal("10.0500"),
        "FAIL",
    )
    assert row.program == "P1"


@pytest.mark.parametrize(
    ("identifier", "balloons"),
    [
        ("12", ("12",)),
        ("12.1", ("12.1",)),
        ("Diameter <12>", ("12",)),
        ("Pos <7 8>", ("7", "8")),
        ("Pos <7,8>", ("7", "8")),
        ("Alignment_X", ()),
        ("Circle1.X", ()),
    ],
)
def test_balloon_numbers_come_from_the_id_or_angle_brackets(
    identifier: str, balloons: tuple[str, ...]
) -> None:
    """Portal convention: the id is the balloon when numeric, else what <...> holds."""
    assert balloons_of(identifier) == balloons


def test_a_calypso_row_without_a_balloon_is_skipped_with_its_reason() -> None:
    """A helper characteristic is reported as skipped, never silently dropped."""
    row = only(
        calypso_rows("P1\t1\tBase_Plane_Z\tZ\tzValue\t0.001\t0\t0.01\t-0.01\t\t\t\tPl\tmm\n")
    )
    assert row.balloon is None
    assert "names no balloon number" in (row.skip or "")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("P1\t1\t5\tD\td\tabc\t1\t0.1\t-0.1\t\t\t\tC\tmm\n", "actual_not_decimal"),
        ("P1\t1\t5\tD\td\t\t1\t0.1\t-0.1\t\t\t\tC\tmm\n", "value_missing"),
        ("P1\t=cmd\t5\tD\td\t1\t1\t0.1\t-0.1\t\t\t\tC\tmm\n", "formula_injection"),
        ("P1\t1\t@5\tD\td\t1\t1\t0.1\t-0.1\t\t\t\tC\tmm\n", "formula_injection"),
    ],
)
def test_a_bad_calypso_row_is_a_problem(body: str, code: str) -> None:
    """Numbers that are not decimals, missing actuals and formulas are refused by row."""
    assert problem(calypso_rows(body)).code == code


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"planid,partnb,id,actual\n", "not tab-separated"),
        (b"planid\tpartnb\ttype\n", "no 'id' or 'actual' column"),
        (CALYPSO_HEADER.encode() + "P1\t1\t5\tDurchmesser \u00d8\t".encode("cp1252"), "not UTF-8"),
        (CALYPSO_HEADER.encode() + b"P1\t" + b"1" * (MAX_LINE_BYTES + 1), "longer than"),
    ],
)
def test_a_calypso_file_that_cannot_be_read_raises_with_its_line(data: bytes, message: str) -> None:
    """Comma files, missing columns, Windows code page text and huge lines: ResultFileError."""
    with pytest.raises(ResultFileError, match=message):
        list(read_calypso_results(io.BytesIO(data), "x_chr.txt").rows)


# --- format detection and tags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b'<?xml version="1.0"?><QIFDocument/>', "qif"),
        (b"\xef\xbb\xbf  <QIFDocument/>", "qif"),
        ("<QIFDocument/>".encode("utf-16"), "qif"),
        (CALYPSO_HEADER.encode(), "calypso"),
        (b"# synthetic\n" + CALYPSO_HEADER.encode(), "calypso"),
        (HEADER.encode(), "csv"),
        (b"balloon;value;units\n", "csv"),
        ("balloon,value\n".encode("utf-16"), "csv"),
    ],
)
def test_the_format_is_told_from_the_content(head: bytes, fmt: str) -> None:
    """XML is QIF, a tab header with planid and id is Calypso, other text is CSV."""
    assert detect_format(head) == fmt


@pytest.mark.parametrize(
    "head", [b"", b"   \n", b"PK\x03\x04zip", b"%PDF-1.7", b"\xd0\xcf\x11\xe0xls", b"a\x00b"]
)
def test_empty_and_binary_files_are_no_results_format(head: bytes) -> None:
    """Empty files, archives, PDFs, old Excel files and binary data are refused up front."""
    with pytest.raises(UnsupportedResultFormatError):
        detect_format(head)


def test_metadata_tags_follow_the_portal_convention() -> None:
    """<identifier=data>, identifiers case-insensitive, the first occurrence kept."""
    text = "run <SerialNumber=1234567> <partnumber = PN4321 > <serialnumber=other> <6>"
    assert metadata_tags(text) == {"serialnumber": "1234567", "partnumber": "PN4321"}


# --- QIF rows: validation modes ---------------------------------------------------------------


def qif_document(serials: int, balloons: int = 50) -> bytes:
    """A valid QIF 3.0 Results document written by firstarticle's exporter."""
    header = ExportHeader(
        report_number="FAIR-T-1",
        part_number="P-1",
        part_name="Part",
        part_revision="A",
        inspection_scope="DETAIL",
        inspection_mode="FAI_Full",
        drawings=(("P-1", "A"),),
    )
    characteristics = [
        ExportCharacteristic(
            str(i), str(i), f"{i} ±0.1 mm", Decimal(i), Decimal(i) - 1, Decimal(i) + 1, "mm"
        )
        for i in range(1, balloons + 1)
    ]
    results = [
        (f"S{s}", [ExportActual(str(i), Decimal(i), None, True) for i in range(1, balloons + 1)])
        for s in range(serials)
    ]
    out = io.BytesIO()
    write_qif_results(
        out, header, characteristics, results, serial_count=serials, result_count=serials * balloons
    )
    return out.getvalue()


def test_a_small_qif_file_is_checked_against_the_whole_schema_keys_included() -> None:
    """A measurement pointing at an item that does not exist breaks a keyref: refused."""
    data = qif_document(2)
    assert len(data) < FULL_VALIDATION_MAX_BYTES
    rows = read_qif_rows(io.BytesIO(data), "ok.qif")
    assert rows.notes == ["validated against the QIF 3.0 schema"]
    broken = data.replace(b"<CharacteristicItemId>", b"<CharacteristicItemId>999999", 1)
    with pytest.raises(ResultFileError, match="keyref"):
        read_qif_rows(io.BytesIO(broken), "broken.qif")


def test_a_large_qif_file_is_checked_for_structure_and_types_without_identity_constraints() -> None:
    """Over the threshold the schema's keys are left out, its structure never is."""
    data = qif_document(200)
    assert len(data) > FULL_VALIDATION_MAX_BYTES
    rows = read_qif_rows(io.BytesIO(data), "large.qif")
    assert "without its identity constraints" in rows.notes[0]
    assert sum(1 for _ in rows.rows) == 200 * 50
    bogus = data.replace(b"<Value>", b"<Bogus/><Value>", 1)
    with pytest.raises(ResultFileError, match=r"not valid QIF 3\.0"):
        read_qif_rows(io.BytesIO(bogus), "bogus.qif")
    dangling = data.replace(b"<CharacteristicItemId>", b"<CharacteristicItemId>999999", 1)
    with pytest.raises(ResultFileError, match="which the file does not define"):
        read_qif_rows(io.BytesIO(dangling), "dangling.qif")


def test_portal_tags_in_qif_comments_and_root_attributes_are_metadata() -> None:
    """<serialnumber=...> in an XML comment and an AttributeStr named operator are read."""
    data = qif_document(1).replace(
        b"<QPId>",
        b"<!-- <serialnumber=SN-77> <measdevice=CMM 9> --><QPId>",
        1,
    )
    data = data.replace(
        b"</QPId>",
        b'</QPId><Attributes n="1"><AttributeStr name="operator" value="J. Smith"/></Attributes>',
        1,
    )
    rows = read_qif_rows(io.BytesIO(data), "tagged.qif")
    assert (rows.metadata.serial_number, rows.metadata.device, rows.metadata.operator) == (
        "SN-77",
        "CMM 9",
        "J. Smith",
    )


# --- bulk ids -------------------------------------------------------------------------------


def test_bulk_ids_have_the_layout_and_order_of_single_ids() -> None:
    """new_ids gives RFC 9562 version 7 ids, unique, sorted, interleaving with new_id."""
    first = new_ids(5_000)
    single = new_id()
    after = new_ids(3)
    parsed = [uuid.UUID(i) for i in first + after]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert [str(u) for u in parsed] == first + after
    assert len(set(first)) == 5_000
    assert first == sorted(first)
    assert first[-1] < single < after[0]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("CMM\x07-02", "control_character"),
        ("\x1b[2Jop", "control_character"),
        ("SN\u202e1", "bidi_control"),
    ],
)
def test_bell_escape_and_bidirectional_overrides_in_text_cells_are_refused(
    payload: str, code: str
) -> None:
    """The plant's text rule applies to CSV text cells as to the API: the row is refused
    with the rule's code and its column."""
    header = "balloon,serial_number,value,units,operator,device\n"
    found = problem(csv_rows(header + f'"1","SN1","25","mm","j.ortiz","{payload}"\n'))
    assert (found.row, found.code, found.column) == (2, code, "device")
