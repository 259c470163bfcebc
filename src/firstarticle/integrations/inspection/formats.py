"""The inspection-file adapters as the services see them through ports.py.

:class:`PlantResultFiles` reads results in the three formats a plant writes (generic CSV,
Zeiss Calypso table files, QIF 3.0 Results), :class:`QifCharacteristicSource` reads a model's
characteristics from QIF MBD or Plan files, and :class:`QifResultWriter` writes an FAI as QIF
3.0 Results, and :class:`~firstarticle.integrations.spreadsheets.XlsxWriter` writes tables
for review. :func:`file_formats` bundles them for bootstrap.py.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Final

from firstarticle.domain.inspection_files import (
    InspectionFileError,
    ResultFile,
    UnsupportedResultFormatError,
)
from firstarticle.integrations.inspection.calypso import looks_like_calypso, read_calypso_results
from firstarticle.integrations.inspection.csv_results import read_csv_results
from firstarticle.integrations.inspection.qif import QifError
from firstarticle.integrations.inspection.qif_export import LINEAR_UNITS, write_qif_results
from firstarticle.integrations.inspection.qif_mbd import MbdDocument, read_qif_mbd
from firstarticle.integrations.inspection.qif_rows import read_qif_rows
from firstarticle.integrations.spreadsheets import XlsxWriter
from firstarticle.ports import FileFormats

__all__ = [
    "RESULT_FORMATS",
    "PlantResultFiles",
    "QifCharacteristicSource",
    "QifResultWriter",
    "detect_format",
    "file_formats",
]

RESULT_FORMATS: Final = ("csv", "calypso", "qif")


def detect_format(head: bytes) -> str:
    """``qif``, ``calypso`` or ``csv`` from the first bytes of a file.

    Raises UnsupportedResultFormatError for empty files and binary content.
    """
    if head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        return "qif"  # UTF-16 XML, which the QIF reader accepts
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text: the CSV reader refuses it with its reason
    data = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not data:
        raise UnsupportedResultFormatError("The file is empty.", field="file")
    if data.startswith(b"<"):
        return "qif"
    if b"\x00" in data[:4096] or data.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise UnsupportedResultFormatError(
            "The file is binary (a spreadsheet, archive or PDF?); export results as CSV "
            "(UTF-8), a Calypso table file or QIF 3.0 Results.",
            field="file",
        )
    for raw in data.splitlines():
        line = raw.decode("utf-8", errors="replace").strip()
        if not line or line.startswith("#"):
            continue
        return "calypso" if "\t" in line and looks_like_calypso(line) else "csv"
    return "csv"


class PlantResultFiles:
    """Results files in CSV, Calypso table or QIF 3.0 Results format (the ResultFileReader)."""

    formats: tuple[str, ...] = RESULT_FORMATS

    def detect(self, head: bytes) -> str:
        return detect_format(head)

    def read(self, fmt: str, source: BinaryIO, name: str) -> ResultFile:
        if fmt == "qif":
            return read_qif_rows(source, name)
        if fmt == "calypso":
            return read_calypso_results(source, name)
        return read_csv_results(source, name)


class QifCharacteristicSource:
    """Design characteristics from QIF 3.0 MBD or Plan files, schema-validated as streamed."""

    def read(self, source: str | os.PathLike[str] | BinaryIO, name: str) -> MbdDocument:
        """The file's characteristics; InspectionFileError (with QIF's code) if unreadable."""
        try:
            return read_qif_mbd(source, name=name)
        except QifError as error:
            raise InspectionFileError(str(error), code=error.code) from None


class QifResultWriter:
    """QIF 3.0 Results documents, streamed (the ResultWriter)."""

    linear_units: frozenset[str] = frozenset(LINEAR_UNITS)

    write = staticmethod(write_qif_results)


def file_formats() -> FileFormats:
    """The file formats firstarticle reads and writes, for the composition root."""
    return FileFormats(
        results=PlantResultFiles(),
        characteristics=QifCharacteristicSource(),
        result_writer=QifResultWriter(),
        spreadsheets=XlsxWriter(),
    )
