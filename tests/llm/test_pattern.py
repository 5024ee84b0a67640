"""Strings for simple regular expressions, shaped after a preferred text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus.domain import ID_PATTERN
from daedalus.llm._dice import Dice
from daedalus.llm._pattern import PatternError, string_for_pattern


@pytest.mark.parametrize(
    ("pattern", "preferred", "expected"),
    [
        (r"^[a-z0-9_]+$", "board_meeting", "board_meeting"),
        (r"^[a-z0-9_]+$", "Ada Lovelace", "ada_lovelace"),
        (ID_PATTERN, "Ada Lovelace", "Ada_Lovelace"),
        (r"^(?:[a-z]+_)*[a-z]+$", "north_gate_tower", "north_gate_tower"),
        (r"^[a-z]{2,5}$", "lighthouse", "light"),
        (r"^(?P<word>[a-z]+)-(?P<n>\d{2})$", "gate-", None),
        (r"^(red|blue)-\d$", "blue sky", None),
    ],
)
def test_golden_shapes(pattern: str, preferred: str, expected: str | None) -> None:
    text = string_for_pattern(pattern, preferred, Dice(b"golden"))
    assert re.fullmatch(pattern, text)
    if expected is not None:
        assert text == expected
    else:
        assert text.startswith(("blue-", "gate-"))


@pytest.mark.parametrize("pattern", [r"^(?=a)b$", r"^(?!x)y$", r"(a)\1", r"^[a-z"])
def test_unsupported_patterns_raise(pattern: str) -> None:
    with pytest.raises(PatternError):
        string_for_pattern(pattern, "abc", Dice(b"x"))


_ATOM_TEXT = r"[a-z] [A-Z0-9] \d \w [^\s] [._-] x \. (?:ab|c) [a-f0-9] ([a-z]+_) [^a-z]"
_ATOMS = st.sampled_from(_ATOM_TEXT.split())
_QUANTIFIERS = st.sampled_from(["", "*", "+", "?", "{2}", "{1,3}", "{0,}", "+?"])


@settings(max_examples=80)
@given(
    parts=st.lists(st.tuples(_ATOMS, _QUANTIFIERS), min_size=1, max_size=5),
    anchored=st.booleans(),
    preferred=st.text(alphabet="abcXYZ019_-. ", max_size=12),
    key=st.binary(max_size=4),
)
def test_generated_strings_match(
    parts: list[tuple[str, str]], anchored: bool, preferred: str, key: bytes
) -> None:
    pattern = "".join(atom + quantifier for atom, quantifier in parts)
    if anchored:
        pattern = f"^{pattern}$"
    assert re.fullmatch(pattern.strip("^$"), string_for_pattern(pattern, preferred, Dice(key)))
