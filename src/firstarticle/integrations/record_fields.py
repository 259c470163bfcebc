"""Formats of fields that arrive from outside, as pydantic types, and the record shapes the
HTTP API's request bodies (api/schemas.py) and the mirrored-record adapter (records.py)
share: texts and codes free of control characters, bounded decimals, a routing operation,
a characteristic's definition, a bill-of-materials line, a customer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from firstarticle.domain import model
from firstarticle.domain.text import WHY as _WHY
from firstarticle.domain.text import text_problem


def _no_control_characters(value: str) -> str:
    # The plant's text rule (domain/text.py); tabs and line breaks stay allowed in long texts.
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValueError(_WHY[problem])
    return value


def _single_line(value: str) -> str:
    if text_problem(value) == "line_break":
        raise ValueError(_WHY["line_break"])
    return value


# What the validators enforce, said in the OpenAPI document: one line without control
# characters and not blank; long texts may break lines.
_NEVER = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
ONE_LINE = rf"^[^{_NEVER}]*[^\s{_NEVER}][^{_NEVER}]*$"
LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
    AfterValidator(_single_line),
    Field(json_schema_extra={"pattern": ONE_LINE}),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=4000),
    AfterValidator(_no_control_characters),
    Field(json_schema_extra={"pattern": LINES}),
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_characters),
    AfterValidator(_single_line),
    Field(json_schema_extra={"pattern": ONE_LINE}),
]
# Decimal bounds keep NaN and Infinity out and values within what a drawing can state.
Number = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=30, decimal_places=12)]


class In(BaseModel):
    """Base of request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class OperationIn(In):
    sequence: int = Field(ge=1, le=99999)
    name: Text
    work_center: Code | None = None
    special_process: bool = False
    supplier: Text | None = None
    completed_at: AwareDatetime | None = None  # MES: when the operation was completed
    tooling: Text | None = None
    material: Text | None = None
    nc_program: Text | None = None
    inspection_method: Text | None = None
    # The balloons this operation produces (its inspection plan).
    balloons: list[Code] = Field(default_factory=list, max_length=5000)


class BomLineIn(In):
    """One line of an assembly's bill of materials as PLM states it."""

    find_number: Annotated[Code, StringConstraints(max_length=32)] = Field(
        description="The item's find number (position) on the assembly; unique in it."
    )
    part_number: Code
    part_name: Text
    part_type: model.IndexPartType
    revision: Annotated[Code, StringConstraints(max_length=16)] | None = Field(
        default=None,
        description="Required for details, sub-assemblies and software; optional for "
        "standard catalogue items and COTS.",
    )
    quantity: int = Field(default=1, ge=1, le=1_000_000)


class CharacteristicFields(In):
    """A characteristic's definition as a drawing states it; each body adds its type field
    (``ctype`` in the API, the CSV column ``type`` in files) and its units."""

    balloon: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    requirement: LongText | None = None
    nominal: Number | None = None
    upper_tolerance: Number | None = None
    lower_tolerance: Number | None = None
    lower_limit: Number | None = None
    upper_limit: Number | None = None
    sheet: Annotated[str, StringConstraints(max_length=16)] | None = None
    zone: Annotated[str, StringConstraints(max_length=16)] | None = None
    designator: model.CharacteristicDesignator | None = None


class CustomerFields(In):
    """A customer and how it decides on FAIs, whether created by hand or mirrored from ERP."""

    code: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$"
        ),
    ]
    name: Text
    channel: model.CustomerChannel = model.CustomerChannel.PORTAL
    requires_fai: bool = True
    ships_on_conditional_acceptance: bool = False
    vendor_code: Code | None = None
    form_revision: model.FormRevision = Field(
        default=model.FormRevision.C,
        description="The AS9102 numbering its inspectors read: C (default) or B.",
    )
