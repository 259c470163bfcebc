"""What an import of inspection results reports: each refused, skipped or warned row, the
counts, and the errors that carry the report when nothing was written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Final

from firstarticle.domain.errors import ValidationError

MAX_LISTED: Final = 1_000


class ResultFileRefusedError(ValidationError):
    """The file cannot be read as results at all (encoding, structure, schema, size)."""

    code = "result_file_invalid"


class ResultImportRefusedError(ValidationError):
    """Rows were refused and no partial import was asked: nothing was written."""

    code = "result_import_refused"

    def __init__(self, report: ImportReport) -> None:
        whole_file = [issue.message for issue in report.refused if issue.row is None]
        super().__init__(
            " ".join(whole_file)
            if whole_file and report.results_accepted == 0
            else f"{report.rows_refused} of {report.rows_read} rows of {report.file_name} were "
            "refused; nothing was recorded (fix them, or import the valid rows with partial)",
            report=report.as_dict(),
        )
        self.report = report


@dataclass(frozen=True)
class RowIssue:
    """A refused, skipped or warned row: where (``row`` None: the file), why, and what."""

    row: int | None
    code: str
    message: str
    balloon: str | None = None
    serial: str | None = None
    column: str | None = None


@dataclass
class ImportReport:
    """What an import did or would do, row by row where it matters."""

    first_article_id: str
    fair_identifier: str
    file_name: str
    sha256: str
    format: str
    partial: bool
    dry_run: bool
    status: str = "refused"
    rows_read: int = 0
    results_accepted: int = 0
    results_recorded: int = 0
    rows_refused: int = 0
    rows_skipped: int = 0
    characteristics: int = 0
    serials: int = 0
    nonconforming: int = 0
    stated_fail: int = 0
    refused: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)
    refused_by_code: dict[str, int] = field(default_factory=dict)
    warnings_by_code: dict[str, int] = field(default_factory=dict)
    issues_truncated: bool = False
    metadata: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """True when every row was accepted or skipped."""
        return self.rows_refused == 0

    def as_dict(self) -> dict[str, object]:
        """The report as plain data (JSON-ready but for nothing: all fields are plain)."""
        return asdict(self)

    def _add(self, into: list[RowIssue], issue: RowIssue) -> None:
        if len(into) < MAX_LISTED:
            into.append(issue)
        else:
            self.issues_truncated = True

    def refuse(self, issue: RowIssue) -> None:
        self.rows_refused += 1
        self.refused_by_code[issue.code] = self.refused_by_code.get(issue.code, 0) + 1
        self._add(self.refused, issue)

    def warn(self, issue: RowIssue) -> None:
        self.warnings_by_code[issue.code] = self.warnings_by_code.get(issue.code, 0) + 1
        self._add(self.warnings, issue)

    def skip(self, issue: RowIssue) -> None:
        self.rows_skipped += 1
        self._add(self.skipped, issue)
