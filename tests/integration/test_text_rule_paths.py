"""The plant's text rule holds on every way text comes in: results files (QIF, CSV),
characteristic models (QIF MBD) and Form 3 sheets refuse control characters and bidirectional
overrides with the rule's stable code, and write nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_characteristic_import import a_part, row_counts
from test_form3_import import an_empty_revision, sheet
from test_result_import import RESULTS_SAMPLES, count, fai_for_qif

from firstarticle.domain.text import TextNotAllowedError
from firstarticle.services import ServiceContext, form3_import
from firstarticle.services.characteristic_import import import_characteristics
from firstarticle.services.result_import import ResultImportRefusedError, import_results
from firstarticle.storage import orm

RLO = "\u202e"  # right-to-left override: "SN1‮2" is shown as something else than stored


def test_a_qif_results_file_whose_serial_hides_an_override_is_refused(
    ctx: ServiceContext, connection: sa.Connection
) -> None:
    """The file's own serial carries an override: the whole file is refused, naming the rule."""
    path = RESULTS_SAMPLES / "mitutoyo_results_serialized_pass_fail_sample.QIF"
    fai_id = fai_for_qif(ctx, path)
    data = path.read_bytes().replace(b"SN#1234-", f"SN#1234{RLO}-".encode())
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, fai_id, io.BytesIO(data), name="results.qif")
    codes = {issue.code for issue in refused.value.report.refused}
    assert "bidi_control" in codes
    assert count(connection, orm.inspection_results, first_article_id=fai_id) == 0


def test_a_model_whose_designator_hides_an_override_is_refused_whole(
    ctx: ServiceContext, connection: sa.Connection, shared_data: Path
) -> None:
    """A QIF MBD balloon with an override would print on Form 3 as another number."""
    a_part(ctx, number="QM_X_123456")
    data = (shared_data / "qif/samples/Plans/simplePlan.QIF").read_bytes()
    data = data.replace(b"<Designator>3</Designator>", b"<Designator>3&#x202E;1</Designator>")
    before = row_counts(connection)
    with pytest.raises(TextNotAllowedError) as refused:
        import_characteristics(
            ctx, part_number="QM_X_123456", revision="A", file=io.BytesIO(data), file_name="p.qif"
        )
    assert refused.value.code == "text_not_allowed"
    assert refused.value.details == {"field": "balloon", "reason": "bidi_control"}
    assert row_counts(connection) == before


def test_a_form3_sheet_row_with_an_override_is_named_and_nothing_is_added(
    ctx: ServiceContext,
) -> None:
    """Field 8 with an override: the row is refused with the rule's code; the drawing is
    unchanged."""
    target = an_empty_revision(ctx)
    data = sheet(
        ("SN1", "1", "", "", "9.6 - 10.4 mm"),
        ("SN1", "2", "", "", f"Deburr {RLO}all edges"),
    )
    report = form3_import.import_form3_sheet(ctx, **target, data=data)
    assert report.status == "refused"
    assert [(i.row, i.code) for i in report.issues] == [(3, "bidi_control")]
    assert form3_import.import_form3_sheet(ctx, **target, data=data, dry_run=True).status == (
        "refused"
    )
