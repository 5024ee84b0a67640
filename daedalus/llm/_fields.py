"""What a string field is for, read from its name and description, and formatted strings.

``content`` or ``description`` wants a sentence, ``name`` a name, ``reason`` an explanation,
``speaker_id`` an id; the offline model writes each from the prompt's material accordingly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum

from daedalus.llm._compose import Writer
from daedalus.llm._dice import Dice

__all__ = ["FieldHint", "Role", "is_reference_list", "role_of", "string_for_format"]

_SPLIT = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=[A-Z])")
_EPOCH = date(2000, 1, 1)
_DAYS = 40 * 365


class Role(Enum):
    """The kind of string a field wants."""

    TEXT = "text"
    REASON = "reason"
    NAME = "name"
    ID = "id"
    TONE = "tone"
    PHRASE = "phrase"


_REASON_WORDS = "reason reasons rationale justification explanation why motivation reasoning"
_TONE_WORDS = "tone emotion emotional mood feeling sentiment affect"
_NAME_WORDS = "name title label location place who"
_TEXT_WORDS = """
    content text description event summary information statement narrative beat utterance
    message line dialogue dialog body details detail outcome consequence intervention action
    plan goal expectation premise scene answer response note notes observation claim fact
    knowledge setting situation context feedback critique prediction story antecedent evidence
    topic question idea proposal
"""
_ROLE_WORDS = (
    (Role.REASON, frozenset(_REASON_WORDS.split())),
    (Role.TONE, frozenset(_TONE_WORDS.split())),
    (Role.NAME, frozenset(_NAME_WORDS.split())),
    (Role.TEXT, frozenset(_TEXT_WORDS.split())),
)
_ID_WORDS = "id ids speaker target source listener addressee entity references refs"
_ID_NAMES = frozenset(_ID_WORDS.split())
_ID_PLURAL_WORDS = "entities participants speakers listeners members attendees"
_ID_PLURALS = frozenset(_ID_PLURAL_WORDS.split())
_ID_SUFFIXES = ("_id", "_ids", "_ref", "_refs", "_reference", "_references", "_key")
_DESCRIPTION_HINTS = (
    (Role.REASON, re.compile(r"\b(why|reason|explain|justif)", re.IGNORECASE)),
    (Role.ID, re.compile(r"\b(id|identifier|slug)\b", re.IGNORECASE)),
    (Role.TEXT, re.compile(r"\b(sentence|describe|description|what happens|text)", re.IGNORECASE)),
    (Role.NAME, re.compile(r"\bname\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class FieldHint:
    """The name of the field a value is written for, and its description."""

    name: str
    description: str

    def described(self, description: object, title: object) -> FieldHint:
        """This hint with the schema's description (or title) when it had none."""
        if self.description:
            return self
        text = description if isinstance(description, str) else title
        return replace(self, description=text) if isinstance(text, str) else self

    @property
    def words(self) -> tuple[str, ...]:
        """The field name split into lower-case words (``speakerId`` -> speaker, id)."""
        return tuple(w.lower() for w in _SPLIT.split(self.name) if w)

    @property
    def slug(self) -> str:
        """The field name as a lower-case slug, ``value`` when it has none."""
        return "_".join(self.words) or "value"

    @property
    def spoken(self) -> str:
        """The field name as words, capitalised, for a string with no material at all."""
        text = " ".join(self.words) or "value"
        return text[0].upper() + text[1:]


def role_of(hint: FieldHint) -> Role:
    """The role of a string field: by its name first, then by its description."""
    slug = hint.slug
    words = set(hint.words)
    if slug in _ID_NAMES or slug.endswith(_ID_SUFFIXES) or words & _ID_PLURALS:
        return Role.ID
    for role, vocabulary in _ROLE_WORDS:
        if slug in vocabulary or words & vocabulary:
            return role
    for role, pattern in _DESCRIPTION_HINTS:
        if pattern.search(hint.description):
            return role
    return Role.PHRASE


def is_reference_list(hint: FieldHint) -> bool:
    """Whether an array field lists ids or references, whose items should be distinct."""
    return role_of(hint) is Role.ID and hint.slug not in ("id", "speaker", "target", "source")


def string_for_format(fmt: object, writer: Writer, dice: Dice) -> str | None:
    """A string in the JSON schema ``format`` (dates from the prompt when it has some), or
    ``None`` for no format or one without a special shape."""
    if fmt in ("date", "date-time"):
        dates = writer.material.dates
        if dates:
            picked = dates[dice.below(len(dates))].replace(" ", "T")
        else:
            picked = (_EPOCH + timedelta(days=dice.below(_DAYS))).isoformat()
        if fmt == "date":
            return picked[:10]
        if len(picked) == 10:
            picked += f"T{dice.below(24):02d}:{dice.below(4) * 15:02d}:00"
        elif len(picked) == 16:
            picked += ":00"
        return (
            picked
            if picked.endswith("Z") or "+" in picked[10:] or "-" in picked[10:]
            else (picked + "Z")
        )
    if fmt == "time":
        return f"{dice.below(24):02d}:{dice.below(60):02d}:00"
    if fmt == "duration":
        return f"PT{dice.between(1, 180)}M"
    slug = (writer.slugs(dice, "") or ["value"])[0]
    if fmt == "email":
        return f"{slug}@example.org"
    if fmt in ("uri", "url", "uri-reference", "iri"):
        return f"https://example.org/{slug}"
    if fmt == "hostname":
        return f"{slug.replace('_', '-')}.example.org"
    if fmt == "ipv4":
        return f"192.0.2.{dice.between(1, 254)}"
    if fmt == "uuid":
        digits = dice.key_hex[:32]
        digits = digits[:12] + "4" + digits[13:16] + "89ab"[int(digits[16], 16) % 4] + digits[17:]
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return None
