"""Forms 1, 2 and 3 of an FAI as numbered fields in plain text, for every renderer.

Built from the records' own forms (:mod:`firstarticle.domain.forms`), never typed: field 19
is derived from the nonconformances, signatures are shown as their manifestation (printed
name, date and time with zone, meaning). Rev C numbering by default; Rev B where a customer
reads it (field 4 "FAIR Number", field 17 part serial number, field 19 signature and FAI
complete / not complete, signatures in 19-24, Form 2 signature 14/15, Form 3 signature 12/13
and comments 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from firstarticle.domain import model
from firstarticle.domain.forms import Form1, Form3Line, ResultLine
from firstarticle.domain.values import Conformance

Revision = model.FormRevision
DRAFT_MARK = "DRAFT - NOT FOR SUBMISSION"


@dataclass(frozen=True)
class Field:
    """One numbered field: its number as the form prints it, its name and its value ("" when
    empty)."""

    number: str
    name: str
    value: str


@dataclass(frozen=True)
class SignedField:
    """A signature as the report receives it from the signature records."""

    form1_fields: str | None
    printed_name: str
    signed_at: datetime
    meaning_label: str
    manifestation: str
    valid: bool


@dataclass(frozen=True)
class IndexRow:
    """Form 1 fields 15-18 for one item of an assembly."""

    part_number: str
    part_name: str
    part_type: str
    fair_identifier: str


@dataclass(frozen=True)
class Form2Line:
    """Form 2 fields 5-13 for one material, special process or functional test."""

    kind: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Form3Entry:
    """Form 3 fields 5-12 (Rev B comments 14) for one characteristic, every serial's result
    in field 9 and each nonconforming instance with its value."""

    char_no: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class FlatRow:
    """One characteristic and serial, as a customer portal imports Form 3."""

    serial: str
    char_no: str
    reference_location: str
    designator: str
    requirement: str
    result: str
    tooling: str
    nc_number: str
    comments: str


@dataclass(frozen=True)
class FairReport:
    """The three forms of one FAI, ready to render."""

    revision: model.FormRevision
    fair_identifier: str
    header: tuple[Field, ...]  # fields 1-4, repeated on every form and page
    form1: tuple[Field, ...]  # 5-14, then 19-26 (Rev B: 19-24)
    index: tuple[IndexRow, ...]
    index_names: tuple[Field, ...]  # 15-18 with their names, empty values
    form2: tuple[Form2Line, ...]
    form2_signature: Field | None  # Rev B 14/15
    form3: tuple[Form3Entry, ...]
    form3_signature: Field | None  # Rev B 12/13
    flat_columns: tuple[str, ...]
    flat_rows: tuple[FlatRow, ...]
    signatures: tuple[str, ...]  # every manifestation, for the signature block
    content_sha256: str
    generated_at: datetime
    draft: bool

    def field(self, number: str) -> Field:
        """The Form 1 field with that number (header included), or KeyError."""
        for f in (*self.header, *self.form1):
            if f.number == number:
                return f
        raise KeyError(number)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _words(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def result_text(result: ResultLine) -> str:
    """Field 9 for one result: the measured value with units, or the attribute verdict, and
    "NONCONFORMING" when it does not meet the requirement."""
    if result.value is not None:
        value = result.shown_value or _text(result.value)
        shown = value + (f" {result.units}" if result.units else "")
    else:
        shown = (result.attribute or "").upper()
    if result.conformance is Conformance.NONCONFORMING:
        shown += " NONCONFORMING"
    return shown


def _counting(line: Form3Line) -> list[ResultLine]:
    return [r for r in line.results if not r.superseded]


def _results_field(line: Form3Line) -> str:
    parts = []
    for r in _counting(line):
        prefix = f"{r.serial_number}: " if r.serial_number else ""
        parts.append(prefix + result_text(r))
    return "; ".join(parts)


def _form1_fields(
    form1: Form1, revision: model.FormRevision, signed: Sequence[SignedField]
) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    rev_b = revision is Revision.B
    header = (
        Field("1", "Part Number", form1.part_number),
        Field("2", "Part Name", form1.part_name),
        Field("3", "Serial Number", ", ".join(form1.serial_numbers)),
        Field("4", "FAIR Number" if rev_b else "FAIR Identifier", form1.fair_identifier),
    )
    if form1.scope is model.FaiScope.PARTIAL:
        scope = f"Partial FAI; Baseline Part Number: {form1.baseline or ''}; Reason: {form1.reason}"
    else:
        scope = f"Full FAI; Reason: {form1.reason}"
    body = [
        Field("5", "Part Revision Level", form1.part_revision or "N/C"),
        Field("6", "Drawing Number", "; ".join(d.number for d in form1.drawings)),
        Field("7", "Drawing Revision Level", "; ".join(d.revision for d in form1.drawings)),
        Field("8", "Additional Changes", _text(form1.additional_changes)),
        Field("9", "Manufacturing Process Reference", form1.manufacturing_process_reference),
        Field("10", "Organization Name", form1.organization_name),
        Field("11", "Supplier Code", _text(form1.supplier_code)),
        Field("12", "Purchase Order Number", _text(form1.purchase_order)),
        Field("13", "Detail / Assembly FAI", _words(form1.fai_type.value)),
        Field("14", "Full / Partial FAI", scope),
    ]
    by_field = {s.form1_fields: s for s in signed if s.valid and s.form1_fields}
    decision = form1.customer_decision

    def who(fields: str) -> tuple[str, str]:
        s = by_field.get(fields)
        return (s.manifestation, _stamp(s.signed_at)) if s else ("", "")

    verified, verified_at = who("20/21")
    reviewed, reviewed_at = who("22/23")
    customer, customer_at = who("24/25")
    if not customer and decision is not None:
        customer = f"{decision.decided_by} ({decision.channel.value}) — approved"
        customer_at = _stamp(decision.decided_at)
    if rev_b:
        complete = "FAI Not Complete" if form1.documented_nonconformances else "FAI Complete"
        body += [
            Field("19", "FAI Complete / Not Complete; Signature", f"{complete}; {verified}"),
            Field("20", "Date", verified_at),
            Field("21", "Reviewed By", reviewed),
            Field("22", "Date", reviewed_at),
            Field("23", "Customer Approval", customer),
            Field("24", "Date", customer_at),
        ]
    else:
        body += [
            Field(
                "19",
                "Does FAIR Contain Documented Nonconformance(s)?",
                "Yes" if form1.documented_nonconformances else "No",
            ),
            Field("20", "FAIR Verified By", verified),
            Field("21", "Date", verified_at),
            Field("22", "FAIR Reviewed/Approved By", reviewed),
            Field("23", "Date", reviewed_at),
            Field("24", "Customer Approval", customer),
            Field("25", "Date", customer_at),
            Field("26", "Comments", _text(form1.comments)),
        ]
    return header, tuple(body)


FORM2_NAMES = (
    ("5", "Material or Process Name"),
    ("6", "Specification Number"),
    ("7", "Code"),
    ("8", "Supplier"),
    ("9", "Customer Approval Verification"),
    ("10", "Certificate of Conformance Number"),
    ("11", "Functional Test Procedure Number"),
    ("12", "Acceptance Report Number"),
    ("13", "Comments"),
)


def _form2_line(row: model.Form2Row) -> Form2Line:
    approval = {"yes": "Yes", "no": "No", "na": "N/A"}.get(
        row.customer_approval.value if row.customer_approval else "", ""
    )
    values = (
        row.name,
        row.specification,
        row.code,
        row.supplier,
        approval,
        row.certificate_number,
        row.functional_test_procedure,
        row.acceptance_report,
        row.comments,
    )
    return Form2Line(
        _words(row.kind.value),
        tuple(
            Field(number, name, _text(value))
            for (number, name), value in zip(FORM2_NAMES, values, strict=True)
        ),
    )


def form3_names(revision: model.FormRevision) -> tuple[tuple[str, str], ...]:
    """Form 3 field numbers and names in the revision's numbering."""
    return (
        ("5", "Char No."),
        ("6", "Reference Location"),
        ("7", "Characteristic Designator"),
        ("8", "Requirement"),
        ("9", "Results"),
        ("10", "Designed / Qualified Tooling"),
        ("11", "Nonconformance Number"),
        ("14" if revision is Revision.B else "12", "Additional Data / Comments"),
    )


def flat_columns(revision: model.FormRevision) -> tuple[str, ...]:
    """Column titles of the flat Form 3 sheet: the serial, then fields by number."""
    short = ("Char No.", "Reference Location", "Designator", "Requirement", "Results")
    short += ("Tooling", "NC Number", "Comments")
    numbers = [n for n, _ in form3_names(revision)]
    return ("3 Serial Number", *(f"{n} {s}" for n, s in zip(numbers, short, strict=True)))


def _form3(
    lines: Sequence[Form3Line], revision: model.FormRevision
) -> tuple[tuple[Form3Entry, ...], tuple[FlatRow, ...]]:
    names = form3_names(revision)
    entries, flat = [], []
    for line in lines:
        ncs = ", ".join(line.nonconformance_numbers)
        values = (
            line.char_no,
            _text(line.reference_location),
            _words(line.designator),
            line.requirement,
            _results_field(line),
            _text(line.tooling),
            ncs,
            _text(line.comments),
        )
        entries.append(
            Form3Entry(
                line.char_no,
                tuple(Field(n, name, v) for (n, name), v in zip(names, values, strict=True)),
            )
        )
        counting = _counting(line) or [None]
        for r in counting:
            flat.append(
                FlatRow(
                    serial=(r.serial_number or "") if r else "",
                    char_no=line.char_no,
                    reference_location=values[1],
                    designator=values[2],
                    requirement=line.requirement,
                    result=result_text(r) if r else "",
                    tooling=values[5],
                    nc_number=ncs,
                    comments=values[7],
                )
            )
    return tuple(entries), tuple(flat)


def build_report(
    *,
    form1: Form1,
    form2: Sequence[model.Form2Row],
    form3: Sequence[Form3Line],
    signatures: Sequence[SignedField],
    content_sha256: str,
    revision: model.FormRevision = Revision.C,
    generated_at: datetime,
    draft: bool = False,
) -> FairReport:
    """The report of one FAI in ``revision`` numbering; pure, deterministic for the same
    records and time."""
    header, body = _form1_fields(form1, revision, signatures)
    rev_b = revision is Revision.B
    index_names = (
        Field("15", "Part Number", ""),
        Field("16", "Part Name", ""),
        Field("17", "Part Serial Number" if rev_b else "Part Type", ""),
        Field("18", "FAIR Number" if rev_b else "FAIR Identifier", ""),
    )
    index = tuple(
        IndexRow(
            e.part_number,
            e.part_name,
            ""
            if rev_b
            else _words(e.part_type.value) + (f" rev {e.revision}" if e.revision else ""),
            _text(e.fair_identifier),
        )
        for e in form1.index
    )
    verified = next((s for s in signatures if s.valid and s.form1_fields == "20/21"), None)
    prepared = verified.manifestation if verified else ""
    entries, flat = _form3(form3, revision)
    return FairReport(
        revision=revision,
        fair_identifier=form1.fair_identifier,
        header=header,
        form1=body,
        index=index,
        index_names=index_names,
        form2=tuple(_form2_line(r) for r in sorted(form2, key=lambda r: (r.kind.value, r.name))),
        form2_signature=Field("14/15", "Signature / Date", prepared) if rev_b else None,
        form3=entries,
        form3_signature=Field("12/13", "Signature / Date", prepared) if rev_b else None,
        flat_columns=flat_columns(revision),
        flat_rows=flat,
        signatures=tuple(s.manifestation for s in signatures if s.valid),
        content_sha256=content_sha256,
        generated_at=generated_at,
        draft=draft,
    )
