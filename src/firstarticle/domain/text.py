"""Rules for text that people and files put into firstarticle, and that firstarticle hands to
spreadsheets: one place, so that every way in and out applies the same ones."""

from __future__ import annotations

# A cell beginning with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); tab and carriage return hide the rest of a cell in some of them.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a spreadsheet must receive it: text that would start a formula is
    prefixed with an apostrophe (shown as typed, never evaluated); numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
