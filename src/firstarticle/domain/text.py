"""Rules for text that people and files put into firstarticle, and that firstarticle hands to
spreadsheets: one place, so that every way in and out applies the same ones."""

from __future__ import annotations

# A cell beginning with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); tab and carriage return hide the rest of a cell in some of them.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


# Bidirectional embeddings, overrides and isolates reorder what a reader sees against what is
# stored ("Trojan Source"): a reason or a part number could read as something else.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\t\n\r")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as plant text (a stable code), or None when it can.

    Refused everywhere (API, CSV, QIF, forms): control characters (NUL, BEL, ESC, ...; tabs
    and line breaks only in multi-line text) and bidirectional controls.
    """
    for ch in value:
        if ch in LINE_BREAKS:
            if not multiline:
                return "line_break"
        elif ord(ch) < 32 or 127 <= ord(ch) < 160:
            return "control_character"
        elif ch in BIDI_CONTROLS:
            return "bidi_control"
    return None


def spreadsheet_safe(value: object) -> object:
    """``value`` as a spreadsheet must receive it: text that would start a formula is
    prefixed with an apostrophe (shown as typed, never evaluated); numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
