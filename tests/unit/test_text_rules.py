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


def test_control_characters_and_bidirectional_overrides_are_refused() -> None:
    """BEL, ESC, NUL and the right-to-left override never reach a record; tabs and line
    breaks only in multi-line text."""
    from firstarticle.domain.text import text_problem

    assert text_problem("Deburr all edges") is None
    assert text_problem("ring\x07bell") == "control_character"
    assert text_problem("\x1b[31mred") == "control_character"
    assert text_problem("NUL\x00") == "control_character"
    assert text_problem("invoice\u202efdp.exe") == "bidi_control"
    assert text_problem("line one\nline two") == "line_break"
    assert text_problem("line one\nline two", multiline=True) is None


@given(st.text())
def test_every_text_either_passes_or_names_its_rule(text: str) -> None:
    """The rule answers for any text, with one of its stable codes."""
    from firstarticle.domain.text import text_problem

    assert text_problem(text, multiline=True) in (None, "control_character", "bidi_control")


def _one_by_one(text: str, multiline: bool) -> str | None:
    """The rule read character by character, as it is written in the standard's words."""
    for ch in text:
        if ch in "\t\n\r":
            if not multiline:
                return "line_break"
        elif ord(ch) < 32 or 127 <= ord(ch) < 160:
            return "control_character"
        elif "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
            return "bidi_control"
    return None


@given(
    st.text(
        alphabet=st.sampled_from("ab 1\t\n\r\x00\x07\x1b\x7f\x85\x9f\u202a\u202e\u2066\u2069é")
    ),
    st.booleans(),
)
def test_the_fast_scan_agrees_with_the_rule_read_one_character_at_a_time(
    text: str, multiline: bool
) -> None:
    """The regex shortcut never lets through, nor names differently, what the rule refuses."""
    from firstarticle.domain.text import text_problem

    assert text_problem(text, multiline=multiline) == _one_by_one(text, multiline)
