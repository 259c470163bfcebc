"""Our own check of an XML file's prolog, made before any parser sees a byte of it.

A document type declaration is the door to entity expansion (billion laughs) and external
entities (``file:///etc/passwd``). QIF never has one, so a file that declares one is refused
here, whatever the installed lxml and libxml2 would do with it; the parsers' own hardening
(``resolve_entities=False``, ``load_dtd=False``, ``no_network=True``) stays as a second wall.

The check reads only the prolog (XML declaration, processing instructions, comments and
whitespace before the root element), at most :data:`PROLOG_MAX_BYTES`, then hands the parser
a stream that replays those bytes followed by the rest of the file.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO, Final

PROLOG_MAX_BYTES: Final = 64 * 1024
_CHUNK: Final = 4096

# Byte patterns of "<" or "<?" in the encodings XML 1.0 appendix F lets a parser autodetect.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UNMARKED: Final = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


class XmlGuardError(ValueError):
    """The prolog of an XML file is refused before parsing; ``code`` says why, stably."""

    code = "xml_refused"


class XmlDeclarationError(XmlGuardError):
    """The file declares a document type or entities (DOCTYPE / ENTITY): never parsed."""

    code = "xml_declaration_refused"


class XmlPrologError(XmlGuardError):
    """The file does not begin like an XML document, or its prolog is unreasonably long."""

    code = "xml_prolog_unreadable"


def _encoding(head: bytes) -> tuple[str, int]:
    """The encoding in which to read the prolog, and the length of its byte-order mark."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    for pattern, name in _UNMARKED:
        if head.startswith(pattern):
            return name, 0
    # Every other encoding a QIF file may declare is ASCII-compatible in the prolog.
    return "latin-1", 0


def _prolog_complete(text: str) -> bool:
    """True once ``text`` reaches the root element; raises on a declaration or non-XML.

    False means more bytes are needed to decide.
    """
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return False
        if text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close < 0:
                return False
            pos = close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close < 0:
                return False
            pos = close + 3
        elif text.startswith("<!", pos):
            if end - pos < 4:
                return False  # "<!" could still begin a comment
            raise XmlDeclarationError("DOCTYPE / ENTITY declarations are not allowed in QIF files")
        elif text[pos] == "<":
            return pos + 1 < end  # "<" alone: "<?" or "<!" may follow
        else:
            raise XmlPrologError("does not begin like an XML document")


class _Replay:
    """A read-only binary stream: the checked prolog bytes first, then the rest of ``raw``."""

    __slots__ = ("_head", "_raw")

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head = head
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._raw.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._raw.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def checked_xml_stream(raw: BinaryIO) -> BinaryIO:
    """Return a stream of ``raw``'s bytes for the parser, once the prolog has been checked.

    Guarantees: no DOCTYPE or ENTITY declaration reaches the parser (XmlDeclarationError);
    a file whose first character is not ``<`` in any encoding XML can autodetect, or whose
    prolog exceeds :data:`PROLOG_MAX_BYTES`, is refused (XmlPrologError). An empty file is
    passed on, for the parser to report.
    """
    head = b""
    while len(head) < PROLOG_MAX_BYTES:
        chunk = raw.read(_CHUNK)
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise XmlPrologError(f"expected a binary stream, got {type(chunk).__name__}")
        if not chunk:
            break
        head += bytes(chunk)
        encoding, skip = _encoding(head)
        # A character cut in half at the end of the chunk is left for the next round.
        text = head[skip:].decode(encoding, errors="ignore")
        if _prolog_complete(text):
            return _Replay(head, raw)  # type: ignore[return-value]
    else:
        raise XmlPrologError(f"the prolog is longer than {PROLOG_MAX_BYTES} bytes")
    if head.strip():
        encoding, skip = _encoding(head)
        _prolog_complete(head[skip:].decode(encoding, errors="ignore"))
    return _Replay(head, raw)  # type: ignore[return-value]
