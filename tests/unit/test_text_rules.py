"""Text handed to spreadsheets never starts a formula, and keeps what was typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firstarticle.domain.text import FORMULA_LEADS, spreadsheet_safe


@given(st.text())
def test_no_cell_starts_a_formula_and_the_typed_text_survives(text: str) -> None:
    """Whatever was typed, the cell does not start with = + - @ tab or return, and dropping
    the one apostrophe added gives the text back."""
    cell = spreadsheet_safe(text)
    assert isinstance(cell, str)
    assert not cell.startswith(FORMULA_LEADS)
    assert cell == text or (cell == "'" + text and text.startswith(FORMULA_LEADS))


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.none()))
def test_numbers_and_empty_cells_pass_unchanged(value: object) -> None:
    """Only text can carry a formula; numbers stay numbers."""
    assert spreadsheet_safe(value) == value
