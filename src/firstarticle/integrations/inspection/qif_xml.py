"""XML text for the streamed QIF writers: escaping, numbers as xs:decimal, buffered output."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import BinaryIO, Final

# Characters XML 1.0 does not allow, even escaped.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escaped(text: str) -> str:
    """Text escaped for element content and attribute values."""
    cleaned = _NOT_XML.sub("\ufffd", text)
    return (
        cleaned.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def xs_decimal(value: Decimal) -> str:
    """A decimal as xs:decimal accepts it (no exponent, no "-0")."""
    text = f"{value:f}"
    return text[1:] if text.startswith("-") and value.is_zero() else text


class XmlWriter:
    """Buffered UTF-8 output of XML text."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0

    def __call__(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts).encode("utf-8"))
            self.parts, self.size = [], 0

    def leaf(self, tag: str, text: str | None) -> None:
        """``<tag>text</tag>``, or nothing for a missing or blank text."""
        if text is not None and text.strip():
            self(f"<{tag}>{escaped(text)}</{tag}>")

    def number(self, tag: str, value: Decimal | None) -> None:
        """``<tag>value</tag>``, or nothing for a missing value."""
        if value is not None:
            self(f"<{tag}>{xs_decimal(value)}</{tag}>")
