"""Rules for text that people and files put into firstarticle, and that firstarticle hands to
spreadsheets: one place, so that every way in and out applies the same ones."""

from __future__ import annotations

import re

from firstarticle.domain.errors import ValidationError

# A cell beginning with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); tab and carriage return hide the rest of a cell in some of them.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


# Bidirectional embeddings, overrides and isolates reorder what a reader sees against what is
# stored ("Trojan Source"): a reason or a part number could read as something else.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\t\n\r")

# Every character that can be a problem: the fast path (a regex scan in C) finds none in
# nearly all text, so the per-character classification below runs only for real problems.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

WHY = {
    "control_character": "control characters are not allowed",
    "bidi_control": "bidirectional override characters are not allowed",
    "line_break": "must be a single line",
}


class TextNotAllowedError(ValidationError):
    """A text holds characters that plant text may not hold (``reason`` says which rule)."""

    code = "text_not_allowed"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as plant text (a stable code), or None when it can.

    Refused everywhere (API, CSV, QIF, forms): control characters (NUL, BEL, ESC, ...; tabs
    and line breaks only in multi-line text) and bidirectional controls.
    """
    suspect = _SUSPECT.search(value)
    if suspect is None:
        return None
    for ch in value[suspect.start() :]:
        if ch in LINE_BREAKS:
            if not multiline:
                return "line_break"
        elif ord(ch) < 32 or 127 <= ord(ch) < 160:
            return "control_character"
        elif ch in BIDI_CONTROLS:
            return "bidi_control"
    return None


def check_text(value: str | None, field: str, *, multiline: bool = False) -> None:
    """Raise TextNotAllowedError naming ``field`` when ``value`` breaks the plant's text rule."""
    if value is None:
        return
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise TextNotAllowedError(f"{field}: {WHY[problem]}.", field=field, reason=problem)


def spreadsheet_safe(value: object) -> object:
    """``value`` as a spreadsheet must receive it: text that would start a formula is
    prefixed with an apostrophe (shown as typed, never evaluated); numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
