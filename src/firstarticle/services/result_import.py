"""Import inspection results from a file (generic CSV, Zeiss Calypso, QIF 3.0 Results).

One call imports one file into one FAI, in one transaction:

- the format is detected from the content (or given), the file read by its streaming reader
  (QIF validated against the packaged schema first);
- the file's metadata (part number, part revision, drawing and its revision) must be the
  FAI's: otherwise the whole file is refused;
- each row is matched to a characteristic by balloon number within the FAI's drawing
  revision, and to a serial in the FAI's scope; unmatched balloons, balloons not on the FAI's
  Form 3, serials outside the scope, repeated balloon and serial pairs, rows for another
  part or revision, values in units that cannot be compared with the requirement, values on
  a requirement that has no limits, measurement times in the future and over-long text are
  refused, each with its row (line number; for QIF the measurement's position);
- rows the file states are not results (a basic dimension, a helper characteristic without a
  balloon number) are skipped and listed;
- a file that gives no result at all for the FAI (no measurement, or every row skipped) is
  refused (``no_results_matched``), never "imported" with 0 rows;
- the file's report number, inspecting organization, supplier code and purchase order are
  compared with Form 1 (fields 4, 9, 11, 12): a difference is a warning (``header_differs``);
- a whole-part verdict the file states (QIF ``InspectionStatus``) is reported as a warning
  (``part_verdict``, and ``part_verdict_disagrees`` when our results say otherwise);
- a stated PASS / FAIL that disagrees with the computed conformance, a requirement in the file
  that differs from the drawing's, an NC number the FAI does not link, an attribute verdict on
  a toleranced characteristic, and measurement times the file does not give are warnings:
  the computed conformance is what counts;
- if any row is refused, nothing is written and :class:`ResultImportRefusedError` carries the
  report, unless ``partial`` is asked: then the valid rows are recorded and the audit entry
  says it was a partial import, with its counts and the file's SHA-256;
- a file whose SHA-256 is already on results of the FAI is not imported again: the call is a
  no-op and says so (``status == "already_imported"``);
- ``dry_run`` checks everything and writes nothing.

Results are recorded with source ``device_import`` for Calypso and QIF files (CMM output) and
for CSV rows marked ``entry=device``, ``manual_entry`` for CSV rows marked ``entry=manual``
(they then need a second person's verification, which readiness asks for), ``file_import``
otherwise; ``source_reference`` is ``<file name>; sha256:<hash>; row <n>``. Rows are written
in batches through the unit of work's bulk port (COPY on PostgreSQL); the import writes one
audit entry with its counts. The results themselves carry who recorded them and when.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO, Final

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.events import Event
from firstarticle.domain.inspection_files import (
    FileMetadata,
    IncomingResult,
    ResultFile,
    ResultFileError,
    RowProblem,
    UnsupportedResultFormatError,
)
from firstarticle.domain.text import WHY, text_problem
from firstarticle.ports import ResultFileReader
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    record,
    require_revision_data,
)
from firstarticle.services.result_report import (
    ImportReport,
    ResultFileRefusedError,
    ResultImportRefusedError,
    RowIssue,
)
from firstarticle.services.result_rows import RowImporter, Target, same_text, target_of

__all__ = [
    "ImportReport",
    "ResultFileRefusedError",
    "ResultImportRefusedError",
    "RowIssue",
    "UnsupportedResultFormatError",
    "import_results",
]

_PROGRESS_EVERY: Final = 2_000

Progress = Callable[[str, int, int], None]
Source = str | os.PathLike[str] | bytes | BinaryIO


# --- the file -------------------------------------------------------------------------------


class _Tracked(io.RawIOBase):
    """A read-only view of the source that reports the bytes read to a progress callback."""

    def __init__(self, raw: BinaryIO, report: Callable[[int], None]) -> None:
        self.raw = raw
        self.count = 0
        self.report = report
        self.next_report = 1 << 20

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count >= self.next_report:
            self.next_report = self.count + (1 << 20)
            self.report(self.count)
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._counted(self.raw.read(-1 if size is None else size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._counted(self.raw.readline(-1 if size is None else size))


def _open(source: Source) -> tuple[BinaryIO, str, Callable[[], None]]:
    """A seekable binary stream over ``source``, its name, and how to close what we opened."""
    if isinstance(source, bytes):
        return io.BytesIO(source), "<upload>", lambda: None
    if isinstance(source, str | os.PathLike):
        handle = open(source, "rb")  # noqa: SIM115 - closed by the caller through close()
        return handle, os.path.basename(os.fspath(source)), handle.close
    name = getattr(source, "name", None)
    label = os.path.basename(name) if isinstance(name, str) else "<stream>"
    if source.seekable():
        return source, label, lambda: None
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - see close
    while chunk := source.read(1 << 20):
        spool.write(chunk)
    spool.seek(0)
    return spool, label, spool.close  # type: ignore[return-value]


def _sha256(stream: BinaryIO) -> tuple[str, int]:
    start = stream.tell()
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(start)
    return digest.hexdigest(), size


def _read(files: ResultFileReader, fmt: str, stream: BinaryIO, name: str) -> ResultFile:
    try:
        return files.read(fmt, stream, name)
    except ResultFileError as error:
        raise ResultFileRefusedError(
            f"{name} cannot be imported: {error}", field="file", line=error.line, reason=error.code
        ) from None


def _header_facts(t: Target, meta: FileMetadata, report: ImportReport) -> None:
    """Warn where the file's header states other Form 1 facts than the FAI (``header_differs``):
    report number (field 4), organization (9), supplier code (11), purchase order (12)."""
    fai = t.fai
    for field, label, theirs, ours in (
        ("4", "FAI report number", meta.report_number, fai.fair_identifier),
        ("9", "organization", meta.inspecting_organization, t.organization),
        ("11", "supplier code", meta.supplier_code, fai.supplier_code),
        ("12", "purchase order", meta.purchase_order, t.purchase_order),
    ):
        if theirs and not same_text(theirs, ours):
            report.warn(
                RowIssue(
                    None,
                    "header_differs",
                    f"The file states {label} {theirs!r}; Form 1 field {field} of "
                    f"{fai.fair_identifier} says {ours or 'nothing'}. Check which is right.",
                )
            )


def _file_level(t: Target, meta: FileMetadata, report: ImportReport) -> None:
    """Refuse a file whose metadata names another part, revision or drawing revision, or
    breaks the plant's text rule (its texts reach the audit trail and Form 1)."""
    texts = [(k, v) for k, v in meta.as_dict().items() if isinstance(v, str)]
    texts += [("serial", serial) for serial in meta.serials]
    texts += [(f"tag {k}", v) for k, v in meta.extra.items()]
    for name, value in texts:
        problem = text_problem(value, multiline=True)
        if problem is not None:
            report.refuse(RowIssue(None, problem, f"The file's {name}: {WHY[problem]}."))
    if meta.part_number and not same_text(meta.part_number, t.part.number):
        report.refuse(
            RowIssue(
                None,
                "wrong_part",
                f"The file is for part {meta.part_number}; this FAI is for {t.part.number}.",
            )
        )
    if meta.part_revision and not same_text(meta.part_revision, t.revision.revision):
        report.refuse(
            RowIssue(
                None,
                "wrong_revision",
                f"The file is for revision {meta.part_revision}; this FAI is for "
                f"{t.part.number} rev {t.revision.revision}.",
            )
        )
    if meta.drawing_number:
        drawing = next(
            (d for d in t.revision.drawings if same_text(d.number, meta.drawing_number)), None
        )
        if drawing is None:
            report.warn(
                RowIssue(
                    None,
                    "drawing_unknown",
                    f"The file names drawing {meta.drawing_number}, which is not among the "
                    f"drawings of rev {t.revision.revision}; balloons are matched on those.",
                )
            )
        elif meta.drawing_revision and not same_text(meta.drawing_revision, drawing.revision):
            report.refuse(
                RowIssue(
                    None,
                    "wrong_revision",
                    f"The file measured drawing {drawing.number} rev {meta.drawing_revision}; "
                    f"the FAI's drawing is rev {drawing.revision}.",
                )
            )


# --- the use case ---------------------------------------------------------------------------


def import_results(
    ctx: ServiceContext,
    fai_id: str,
    file: Source,
    fmt: str = "auto",
    *,
    name: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a results file into an FAI, all or nothing (or the valid rows, with ``partial``).

    ``file`` is a path, the file's bytes or a binary stream (read from its position; a stream
    that cannot seek is spooled to a temporary file). ``fmt`` is ``auto`` (from the content),
    ``csv``, ``calypso`` or ``qif``. ``progress(stage, done, total)`` is called as the file is
    read (bytes) and at the end.

    Returns the report; raises ResultImportRefusedError (nothing written) when rows are refused
    without ``partial``, ResultFileRefusedError / UnsupportedResultFormatError when the file
    cannot be read, NotFoundError for an unknown FAI and ConflictError when the FAI's package
    can no longer change.
    """
    files = ctx.formats.results
    wanted = fmt.strip().lower()
    if wanted != "auto" and wanted not in files.formats:
        raise UnsupportedResultFormatError(
            f"Unknown format {fmt!r}; use auto, {', '.join(files.formats)}.", field="format"
        )
    stream, opened_name, close = _open(file)
    label = name or opened_name
    try:
        sha256, size = _sha256(stream)
        start = stream.tell()
        detected = files.detect(stream.read(8192))
        stream.seek(start)
        chosen = detected if wanted == "auto" else wanted
        total = size * (2 if chosen == "qif" else 1)

        def tick(done: int) -> None:
            if progress is not None:
                progress("reading", min(done, total), total)

        allowed(ctx, Permission.RESULT_IMPORT)
        with ctx.uow_factory() as uow:
            fai = found(uow.result_imports.first_article(fai_id), "First article", fai_id)
            ctx.principal.require_site(fai.site_id, "first article")
            require_revision_data(ctx, uow, fai.part_revision_id, "first article")
            fai.ensure_editable()
            report = ImportReport(
                first_article_id=fai.id,
                fair_identifier=fai.fair_identifier,
                file_name=label,
                sha256=sha256,
                format=chosen,
                partial=partial,
                dry_run=dry_run,
            )
            if uow.result_imports.file_imported(fai.site_id, fai.id, sha256):
                report.status = "already_imported"
                report.notes.append(
                    f"results of this file (sha256 {sha256[:12]}…) are already recorded on "
                    f"{fai.fair_identifier}; nothing was imported again"
                )
                return report
            target = target_of(uow, fai)
            tracked = _Tracked(stream, tick)
            result_file = _read(files, chosen, tracked, label)  # type: ignore[arg-type]
            report.metadata = result_file.metadata.as_dict()
            report.notes += result_file.notes
            _file_level(target, result_file.metadata, report)
            _header_facts(target, result_file.metadata, report)
            if report.rows_refused:
                # The file as a whole is for another part or revision: no row of it can be
                # this FAI's, partial import or not.
                raise ResultImportRefusedError(report)
            importer = RowImporter(
                ctx, uow, target, result_file, report, write=not dry_run, partial=partial
            )
            _consume(importer, result_file.rows, tracked, total, progress)
            report.characteristics = len(importer.balloons)
            report.serials = len({s for s in importer.serials if s is not None})
            if importer.untimed:
                report.warn(
                    RowIssue(
                        None,
                        "measured_at_missing",
                        f"{importer.untimed} row{'s' if importer.untimed > 1 else ''} state "
                        "no measurement time; the import time is recorded instead",
                    )
                )
                report.warnings_by_code["measured_at_missing"] = importer.untimed
            _part_verdicts(result_file.metadata, report)
            if report.results_accepted == 0 and report.rows_refused == 0:
                report.refuse(RowIssue(None, "no_results_matched", _nothing_to_import(report)))
            if not report.accepted and (not partial or report.results_accepted == 0):
                # Refused rows without partial, or partial with no valid row at all.
                report.status = "refused"
                report.results_recorded = 0
                uow.rollback()
                raise ResultImportRefusedError(report)
            if dry_run:
                report.status = "dry_run"
                uow.rollback()
                return report
            importer.flush()
            report.status = "imported" if report.accepted else "partially_imported"
            fai.touch(importer.now)
            record(uow, ctx, [_audit_event(ctx, fai, report, importer.now)])
            uow.commit()
            if progress is not None:
                progress("recorded", report.results_recorded, report.results_recorded)
            return report
    finally:
        close()


def _nothing_to_import(report: ImportReport) -> str:
    """Why a file without a refused row still gives no result (the refusal's message)."""
    verdicts = report.metadata.get("part_verdicts")
    only = " It states only a whole-part verdict (see the warnings)." if verdicts else ""
    if report.rows_read == 0:
        return (
            f"{report.file_name} states no result for any characteristic, so none of "
            f"{report.fair_identifier}'s characteristics can be matched; nothing was "
            f"imported.{only}"
        )
    return (
        f"Every row of {report.file_name} was skipped ({report.rows_skipped}: see why in the "
        f"report), so no result matches a characteristic of {report.fair_identifier}; nothing "
        f"was imported.{only}"
    )


def _part_verdicts(meta: FileMetadata, report: ImportReport) -> None:
    """Report each whole-part verdict the file states, and where our results disagree."""
    for serial, verdict in meta.part_verdicts:
        part = f"serial {serial}" if serial else "the part"
        report.warn(
            RowIssue(
                None,
                "part_verdict",
                f"The file states the whole-part verdict {verdict} for {part}. Form 3 judges "
                "each characteristic; this verdict is reported, not recorded as a result.",
                serial=serial,
            )
        )
        disagrees = (verdict == "PASS" and report.nonconforming > 0) or (
            verdict == "FAIL" and report.results_accepted > 0 and report.nonconforming == 0
        )
        if disagrees:
            report.warn(
                RowIssue(
                    None,
                    "part_verdict_disagrees",
                    f"The file says {verdict} for {part}, but {report.nonconforming} of the "
                    f"{report.results_accepted} results it gives are nonconforming against the "
                    "drawing.",
                    serial=serial,
                )
            )


def _consume(
    importer: RowImporter,
    rows: Iterator[IncomingResult | RowProblem],
    tracked: _Tracked,
    total: int,
    progress: Progress | None,
) -> None:
    try:
        for count, item in enumerate(rows, 1):
            importer.take(item)
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress("reading", min(tracked.count, total), total)
    except ResultFileError as error:
        raise ResultFileRefusedError(
            f"{importer.file.name} cannot be imported: {error}",
            field="file",
            line=error.line,
            reason=error.code,
        ) from None
    if progress is not None:
        progress("reading", total, total)


def _audit_event(
    ctx: ServiceContext, fai: model.FirstArticle, report: ImportReport, at: datetime
) -> Event:
    summary: dict[str, object] = {
        "file": report.file_name,
        "sha256": report.sha256,
        "format": report.format,
        "partial": report.partial,
        "rows_read": report.rows_read,
        "results_recorded": report.results_recorded,
        "rows_refused": report.rows_refused,
        "rows_skipped": report.rows_skipped,
        "characteristics": report.characteristics,
        "serials": report.serials,
        "nonconforming": report.nonconforming,
        "warnings": sum(report.warnings_by_code.values()),
    }
    reason = None
    if report.partial and report.rows_refused:
        refused = ", ".join(f"{code} {n}" for code, n in Counter(report.refused_by_code).items())
        reason = (
            f"Partial import of {report.file_name} (sha256 {report.sha256}): "
            f"{report.results_recorded} results recorded, {report.rows_refused} rows refused "
            f"({refused})."
        )
    return Event(
        action="fai.results_imported",
        record_type="first_article",
        record_id=fai.id,
        site_id=fai.site_id,
        actor=ctx.actor,
        at=at,
        changes={f"import.{key}": (None, value) for key, value in summary.items()},
        reason=reason,
    )
