"""Entity gap detection (M9): who a text names that the simulation does not hold yet.

Background people surface in scenario text and in queries as numbered handles
(``attendee_47``, ``guard_2``, ``person 12``, ``Guard #3``) or as plain names (``Lin Zhang``).
This module finds them and turns them into entity ids; generating the entities is the entity
generator's job. Pure: strings in, strings out.

Numbered handles are accepted in two strengths. ``noun_12`` (an underscore joins the number)
reads as an identifier, so any noun is taken unless it names a unit of time, text or place
(``step_3``, ``page_4``, ``room_101``). ``noun 12`` and ``noun #12`` are ordinary prose, so the
noun must be one that names a person or another agent (``person``, ``guard``, ``nurse``...):
"step 3", "floor 4" or "the 2026 budget" never produce an entity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from daedalus.errors import ConfigError
from daedalus.scenario import Scenario

__all__ = [
    "AGENT_NOUNS",
    "NON_AGENT_NOUNS",
    "Mention",
    "detect_entity_gap",
    "entity_slug",
    "mentioned_names",
    "numbered_mentions",
    "scenario_gap",
]


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


AGENT_NOUNS: frozenset[str] = _word_set(
    """
    agent analyst android applicant attendee bot bystander candidate captain child citizen
    clerk client climber contestant councillor councilor courier crewman crewmember customer
    delegate diver doctor driver drone employee engineer farmer guard guest hostage host inmate
    investor journalist juror knight man member messenger miner monk neighbor neighbour nurse
    officer operator participant passenger patient person pilot player priest prisoner
    protester ranger refugee reporter researcher resident robot runner sailor scientist scout
    senator servant shareholder soldier speaker staffer stranger student subject suspect
    survivor technician tenant teller trader user victim villager visitor volunteer voter
    witness woman worker
    """
)
"""Nouns that name an agent: ``<noun> 12`` and ``<noun> #12`` in prose are entity handles."""

NON_AGENT_NOUNS: frozenset[str] = _word_set(
    """
    act bed block building chapter class column day door episode figure floor gate grade hour
    item lane level line lot minute model month number option page part percent phase platform
    point q quarter room round route row scene season second section series session slot stage
    step table term tick timepoint tp track type unit version vote ward week year
    """
)
"""Nouns that count things rather than name someone: ``step_3`` is never an entity."""

_UNDERSCORED = re.compile(r"(?<![\w.:-])([A-Za-z][A-Za-z]+)_(\d{1,6})(?![\w])")
_SPACED = re.compile(r"(?<![\w])([A-Za-z][A-Za-z]+)\s+(?:#\s*|no\.\s*)?(\d{1,6})(?!\w|\.\d)")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)*")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_NOT_NAMES = _word_set(
    """
    what who whom whose when where why how which did does do was were is are has had have
    could would should will can may might tell show give list describe explain at on in by
    after before during step timepoint moment i the a an and or but if then
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december
    """
)


class Mention(BaseModel):
    """An entity a text names: the id it would get and the words that named it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str


def entity_slug(name: str) -> str:
    """The entity id a name maps to: ``"the Night Nurse"`` -> ``"night_nurse"``.

    Accents are folded to ASCII, a leading article is dropped, anything else that is not a
    letter or digit becomes one underscore. Raises ``ConfigError`` if nothing is left.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stripped = _ARTICLE.sub("", folded.strip())
    slug = re.sub(r"[^a-z0-9]+", "_", stripped.lower()).strip("_")
    if not slug:
        raise ConfigError(f"cannot make an entity id from {name!r}; use letters or digits")
    return slug[:64].rstrip("_")


def numbered_mentions(text: str) -> tuple[Mention, ...]:
    """Numbered handles in ``text`` (``attendee_47``, ``person 12``), in order of appearance.

    Each becomes ``<noun>_<number>`` in lower case; repeated handles are listed once.
    """
    found: dict[int, Mention] = {}
    for match in _UNDERSCORED.finditer(text):
        noun = match.group(1).lower()
        if noun not in NON_AGENT_NOUNS:
            found.setdefault(match.start(), Mention(id=f"{noun}_{match.group(2)}", text=match[0]))
    for match in _SPACED.finditer(text):
        noun = match.group(1).lower()
        if noun in AGENT_NOUNS:
            found.setdefault(match.start(), Mention(id=f"{noun}_{match.group(2)}", text=match[0]))
    return _unique(found[start] for start in sorted(found))


def mentioned_names(text: str) -> tuple[str, ...]:
    """Proper names in ``text``: runs of capitalised words, minus question words and dates.

    ``"What did Lin Zhang know on Monday?"`` gives ``("Lin Zhang",)``. Order of appearance,
    each name once.
    """
    names: dict[str, None] = {}
    for match in _CAPITALISED_RUN.finditer(text):
        words = [w for w in match.group(0).split() if w.lower() not in _NOT_NAMES]
        if words:
            names.setdefault(" ".join(words), None)
    return tuple(names)


def detect_entity_gap(texts: Iterable[str], known_ids: Iterable[str]) -> tuple[Mention, ...]:
    """Numbered handles the texts name that ``known_ids`` lacks (M9), first appearance first."""
    known = {entity_id.lower() for entity_id in known_ids}
    mentions = (m for text in texts for m in numbered_mentions(text))
    return _unique(m for m in mentions if m.id not in known)


def scenario_gap(scenario: Scenario, known_ids: Iterable[str] = ()) -> tuple[Mention, ...]:
    """Entities the scenario names but does not define (M9).

    ``scenario.extras`` first (each slugged into an id), then numbered handles found in the
    description, the scene goals, the portal endpoint and the branch points. Ids of the
    scenario's own entities and ``known_ids`` are left out.
    """
    known = {*scenario.entity_ids, *(entity_id.lower() for entity_id in known_ids)}
    extras = [Mention(id=entity_slug(name), text=name) for name in scenario.extras]
    texts = [scenario.description, *scenario.scene.goals]
    if scenario.portal is not None:
        texts.append(scenario.portal.endpoint)
    if scenario.branching is not None:
        texts.extend(scenario.branching.branch_points)
    numbered = detect_entity_gap(texts, known)
    return _unique(m for m in (*extras, *numbered) if m.id not in known)


def _unique(mentions: Iterable[Mention]) -> tuple[Mention, ...]:
    seen: dict[str, Mention] = {}
    for mention in mentions:
        seen.setdefault(mention.id, mention)
    return tuple(seen.values())
