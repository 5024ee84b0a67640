"""Strings that match a simple regular expression, shaped after a preferred text.

Supports what id-like JSON schema patterns use: anchors, literals, ``.``, character classes
with ranges and negation, the escapes ``\\d \\w \\s`` (and their negations), groups with
alternation, and the quantifiers ``* + ? {m} {m,} {m,n}``. Look-arounds and back-references
raise ``PatternError``.

Generation walks the pattern and, at every repeatable part, consumes as much of the preferred
text as fits (``board_meeting`` against ``^[a-z0-9_]+$`` stays ``board_meeting``; against
``^[A-Z]{3}-\\d{2}$`` it becomes ``BOA-`` plus two digits from the dice).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from daedalus.llm._dice import Dice

__all__ = ["PatternError", "string_for_pattern"]

_UNIVERSE = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")
_DIGITS = frozenset(string.digits)
_WORD = frozenset(string.ascii_letters + string.digits + "_")
_SPACE = frozenset(" ")
_CLASS_ESCAPES = {
    "d": _DIGITS,
    "w": _WORD,
    "s": _SPACE,
    "D": _UNIVERSE - _DIGITS,
    "W": _UNIVERSE - _WORD,
    "S": _UNIVERSE - _SPACE,
}
_LITERAL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
_ZERO_WIDTH_ESCAPES = frozenset("bBAZz")
_SEPARATORS = "_- "


class PatternError(ValueError):
    """A pattern that uses regex features this generator does not support."""


@dataclass(frozen=True)
class _Chars:
    chars: frozenset[str]


@dataclass(frozen=True)
class _Group:
    alternatives: tuple[tuple[_Item, ...], ...]


@dataclass(frozen=True)
class _Item:
    node: _Chars | _Group | None  # None: an anchor or another zero-width assertion
    low: int
    high: int | None


def string_for_pattern(pattern: str, preferred: str, dice: Dice) -> str:
    """A string in the language of ``pattern``, as close to ``preferred`` as it allows."""
    parser = _Parser(pattern)
    tree = parser.alternation()
    if parser.index != len(pattern):
        raise PatternError(f"unbalanced ')' at {parser.index} in pattern {pattern!r}")
    return _Writer(preferred, dice).group(_Group(tree), strict=False) or ""


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.index = 0

    def _peek(self) -> str | None:
        return self.pattern[self.index] if self.index < len(self.pattern) else None

    def _take(self) -> str:
        char = self.pattern[self.index]
        self.index += 1
        return char

    def alternation(self) -> tuple[tuple[_Item, ...], ...]:
        branches = [self.sequence()]
        while self._peek() == "|":
            self._take()
            branches.append(self.sequence())
        return tuple(branches)

    def sequence(self) -> tuple[_Item, ...]:
        items: list[_Item] = []
        while (char := self._peek()) is not None and char not in "|)":
            node = self.atom()
            low, high = self.quantifier()
            items.append(_Item(node, low, high))
        return tuple(items)

    def atom(self) -> _Chars | _Group | None:
        char = self._take()
        if char in "^$":
            return None
        if char == ".":
            return _Chars(_UNIVERSE)
        if char == "[":
            return self.char_class()
        if char == "\\":
            return self.escape()
        if char == "(":
            if self.pattern.startswith("?:", self.index):
                self.index += 2
            elif self.pattern.startswith("?P<", self.index) or (
                self.pattern.startswith("?<", self.index)
                and self.pattern[self.index + 2 : self.index + 3] not in ("=", "!")
            ):
                self.index = self.pattern.index(">", self.index) + 1
            elif self._peek() == "?":
                raise PatternError(f"look-arounds are not supported in pattern {self.pattern!r}")
            group = _Group(self.alternation())
            if self._peek() != ")":
                raise PatternError(f"missing ')' in pattern {self.pattern!r}")
            self._take()
            return group
        if char in "*+?{":
            raise PatternError(f"nothing to repeat at {self.index - 1} in {self.pattern!r}")
        return _Chars(frozenset(char))

    def escape(self) -> _Chars | None:
        char = self._take()
        if char in _CLASS_ESCAPES:
            return _Chars(_CLASS_ESCAPES[char])
        if char in _ZERO_WIDTH_ESCAPES:
            return None
        if char.isdigit():
            raise PatternError(f"back-references are not supported in pattern {self.pattern!r}")
        return _Chars(frozenset(_LITERAL_ESCAPES.get(char, char)))

    def char_class(self) -> _Chars:
        negated = self._peek() == "^"
        if negated:
            self._take()
        chars: set[str] = set()
        first = True
        while True:
            if self._peek() is None:
                raise PatternError(f"missing ']' in pattern {self.pattern!r}")
            char = self._take()
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self._take()
                if escaped in _CLASS_ESCAPES:
                    chars |= _CLASS_ESCAPES[escaped]
                    continue
                char = _LITERAL_ESCAPES.get(escaped, escaped)
            if self._peek() == "-" and self.pattern[self.index + 1 : self.index + 2] not in (
                "]",
                "",
            ):
                self._take()
                end = self._take()
                if end == "\\":
                    end = self._take()
                chars |= {chr(code) for code in range(ord(char), ord(end) + 1)}
            else:
                chars.add(char)
        return _Chars(frozenset(_UNIVERSE - chars) if negated else frozenset(chars))

    def quantifier(self) -> tuple[int, int | None]:
        char = self._peek()
        bounds: tuple[int, int | None] = (1, 1)
        if char == "*":
            bounds = (0, None)
        elif char == "+":
            bounds = (1, None)
        elif char == "?":
            bounds = (0, 1)
        elif char == "{" and "}" in self.pattern[self.index :]:
            end = self.pattern.index("}", self.index)
            body = self.pattern[self.index + 1 : end]
            low_text, _, high_text = body.partition(",")
            if not low_text.isdigit() or (high_text and not high_text.isdigit()):
                return bounds
            high = int(low_text) if "," not in body else (int(high_text) if high_text else None)
            bounds = (int(low_text), high)
            self.index = end
        else:
            return bounds
        self._take()
        if self._peek() in ("?", "+"):  # lazy or possessive: same language
            self._take()
        return bounds


class _Writer:
    def __init__(self, preferred: str, dice: Dice) -> None:
        self.preferred = preferred
        self.position = 0
        self.dice = dice

    def group(self, group: _Group, strict: bool) -> str | None:
        """One pass through ``group``: the alternative that follows the preferred text
        furthest. In strict mode, ``None`` when no alternative can follow it without
        inventing characters."""
        start = self.position
        best: tuple[int, str, int] | None = None
        for alternative in group.alternatives:
            self.position = start
            written = self.sequence(alternative, strict)
            if written is not None and (best is None or self.position > best[0]):
                best = (self.position, written, self.position)
        if best is None:
            self.position = start
            return None
        self.position = best[2]
        return best[1]

    def sequence(self, items: tuple[_Item, ...], strict: bool) -> str | None:
        parts: list[str] = []
        for item in items:
            written = self.item(item, strict)
            if written is None:
                return None
            parts.append(written)
        return "".join(parts)

    def item(self, item: _Item, strict: bool) -> str | None:
        if item.node is None:
            return ""
        if isinstance(item.node, _Chars):
            return self.chars(item.node.chars, item.low, item.high, strict)
        parts: list[str] = []
        while item.high is None or len(parts) < item.high:
            mark = self.position
            needed = len(parts) < item.low
            written = self.group(item.node, strict=strict or not needed)
            if written is None or (not needed and self.position == mark):
                self.position = mark
                if needed:
                    return None
                break
            parts.append(written)
        return "".join(parts)

    def chars(self, chars: frozenset[str], low: int, high: int | None, strict: bool) -> str | None:
        taken: list[str] = []
        while (high is None or len(taken) < high) and self.position < len(self.preferred):
            fitted = _fit(self.preferred[self.position], chars)
            if fitted is None:
                break
            taken.append(fitted)
            self.position += 1
        if len(taken) < low and strict:
            return None
        alphabet = sorted(c for c in chars if c.isalnum()) or sorted(chars)
        while len(taken) < low:
            taken.append(alphabet[self.dice.below(len(alphabet))])
        return "".join(taken)


def _fit(char: str, chars: frozenset[str]) -> str | None:
    if char in chars:
        return char
    if char.swapcase() in chars:
        return char.swapcase()
    if char in _SEPARATORS:
        return next((sep for sep in _SEPARATORS if sep in chars), None)
    return None
