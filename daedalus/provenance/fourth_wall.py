"""Fourth Wall contexts for dialog (M11 with M7 stripping).

A speaker's context has two layers. The *back layer* (true emotional state, withheld knowledge,
suppressed impulses, activation band) shapes how they speak but is never said. The *front layer*
(knowledge they may use, relationships in plain words, presented emotion, body, scene, time) is
what their lines are made of. The front layer only ever holds exposures that
``knowledge_at(speaker, timepoint)`` returned, so a character cannot say what it never learned.

The public view handed to the steering agent holds neither layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from daedalus.domain import (
    Atmosphere,
    CognitiveState,
    Entity,
    Environment,
    ExposureEvent,
    ProspectiveState,
    Relationship,
    ResolutionLevel,
    Timepoint,
    relationship_key,
)

__all__ = [
    "BackLayer",
    "FourthWallContext",
    "FrontLayer",
    "KnowledgeLine",
    "PublicView",
    "build_context",
    "describe_emotion",
    "describe_relationship",
    "public_view",
]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KnowledgeLine(_Value):
    """One exposure as the speaker sees it: id (for references), text, where it came from."""

    exposure_id: str
    information: str
    source: str
    confidence: float


class BackLayer(_Value):
    true_emotion: str
    withheld: tuple[KnowledgeLine, ...]
    suppressed_impulses: tuple[str, ...]
    band: ResolutionLevel
    anxiety: float


class FrontLayer(_Value):
    knowledge: tuple[KnowledgeLine, ...]
    relationships: tuple[str, ...]
    presented_emotion: str
    physical: str
    scene: str
    time: str


class FourthWallContext(_Value):
    speaker: str
    name: str
    role: str
    traits: tuple[str, ...]
    voice_style: str
    voice_examples: tuple[str, ...]
    back: BackLayer
    front: FrontLayer

    @property
    def usable_exposure_ids(self) -> frozenset[str]:
        """Ids a turn may cite in ``knowledge_references``."""
        return frozenset(line.exposure_id for line in self.front.knowledge)


class PublicView(_Value):
    """What anyone in the room can see: the steering agent's whole world."""

    participants: tuple[str, ...]
    names: Mapping[str, str]
    roles: Mapping[str, str]
    scene: str
    time: str
    goals: tuple[str, ...]
    mood: str
    tension: float
    room: str = ""
    """The others present besides the participants, as the public sees them, each at its
    resolution (M1); empty when nobody else is there or the caller did not render them."""


def _tier(value: float, low: float, high: float, words: tuple[str, str, str]) -> str:
    """``words[0]`` below ``low``, ``words[2]`` at or above ``high``, ``words[1]`` between."""
    return words[0] if value < low else words[2] if value >= high else words[1]


def describe_emotion(state: CognitiveState) -> str:
    """Plain words for a valence/arousal pair, e.g. ``"tense and uneasy"``."""
    if state.arousal >= 0.66:
        energy = _tier(state.valence, -0.2, 0.2, ("agitated", "tense", "energised"))
    elif state.arousal <= 0.33:
        energy = _tier(state.valence, -0.2, 0.2, ("flat", "subdued", "relaxed"))
    else:
        energy = "alert"
    if state.valence <= -0.5:
        mood = "distressed"
    elif state.valence < -0.15:
        mood = "uneasy"
    elif state.valence >= 0.5:
        mood = "buoyant"
    elif state.valence > 0.15:
        mood = "hopeful"
    else:
        mood = "guarded"
    return f"{energy} and {mood}"


def describe_relationship(rel: Relationship, viewer: str, other_name: str) -> str:
    """How ``viewer`` regards the other side, in words rather than numbers."""
    trust = "trusts" if rel.trust >= 0.65 else "is wary of" if rel.trust < 0.35 else "half-trusts"
    if rel.alignment >= 0.3:
        stance = "and usually agrees with them"
    elif rel.alignment <= -0.3:
        stance = "and often disagrees with them"
    else:
        stance = "with mixed agreement"
    power = rel.power if viewer == rel.a else -rel.power
    rank = _tier(power, -0.3, 0.3, (" (they hold more power)", "", " (you hold more power)"))
    return f"You {trust} {other_name} ({rel.kind}) {stance}{rank}."


def _impulses(
    state: CognitiveState, prospect: ProspectiveState | None, wary_of: Sequence[str]
) -> tuple[str, ...]:
    impulses = []
    if state.arousal > 0.7 and state.valence < 0:
        impulses.append("to raise your voice")
    if prospect is not None and prospect.anxiety > 0.6:
        impulses.append("to end this conversation quickly")
    if state.energy < 0.25 * state.energy_capacity:
        impulses.append("to stop talking and rest")
    impulses.extend(f"to challenge {name} openly" for name in wary_of)
    return tuple(impulses)


def _line(event: ExposureEvent) -> KnowledgeLine:
    return KnowledgeLine(
        exposure_id=event.id,
        information=event.information,
        source=event.source,
        confidence=event.confidence,
    )


def build_context(
    *,
    speaker: Entity,
    timepoint: Timepoint,
    visible: Sequence[ExposureEvent],
    withheld_ids: frozenset[str],
    names: Mapping[str, str],
    relationships: Mapping[str, Relationship],
    participants: Sequence[str],
    cognitive: CognitiveState,
    physical_description: str,
    prospect: ProspectiveState | None,
    band: ResolutionLevel,
    environment: Environment,
    atmosphere: Atmosphere,
    voice_style: str = "",
    voice_examples: Sequence[str] = (),
    max_knowledge: int = 12,
) -> FourthWallContext:
    """The speaker's two-layer context at ``timepoint``.

    ``visible`` must be ``knowledge_at(speaker, timepoint)``: anything else would let the speaker
    use knowledge without an exposure. Withheld items (ids in ``withheld_ids``) go to the back
    layer only. The front layer keeps the ``max_knowledge`` most recent usable items.
    """
    own = [event for event in visible if event.entity_id == speaker.id]
    front = [_line(e) for e in own if e.id not in withheld_ids][-max_knowledge:]
    back = tuple(_line(e) for e in own if e.id in withheld_ids)
    rel_lines = []
    wary_of = []
    for other in participants:
        if other == speaker.id:
            continue
        rel = relationships.get(relationship_key(speaker.id, other))
        if rel is None:
            continue
        rel_lines.append(describe_relationship(rel, speaker.id, names.get(other, other)))
        if rel.trust < 0.3 and rel.alignment < -0.3:
            wary_of.append(names.get(other, other))
    # People show a calmer face than they feel: presented arousal is damped toward the middle.
    shown = cognitive.model_copy(update={"arousal": 0.5 + (cognitive.arousal - 0.5) * 0.5})
    return FourthWallContext(
        speaker=speaker.id,
        name=speaker.name,
        role=speaker.role,
        traits=speaker.traits,
        voice_style=voice_style,
        voice_examples=tuple(voice_examples),
        back=BackLayer(
            true_emotion=describe_emotion(cognitive),
            withheld=back,
            suppressed_impulses=_impulses(cognitive, prospect, wary_of),
            band=band,
            anxiety=prospect.anxiety if prospect is not None else 0.0,
        ),
        front=FrontLayer(
            knowledge=tuple(front),
            relationships=tuple(rel_lines),
            presented_emotion=describe_emotion(shown),
            physical=physical_description,
            scene=describe_scene(environment, atmosphere),
            time=timepoint.timestamp.strftime("%A %d %B %Y, %H:%M"),
        ),
    )


def describe_scene(environment: Environment, atmosphere: Atmosphere) -> str:
    """One sentence on place and mood (M10), shared by the front layer and the public view."""
    place = environment.location or "an unnamed room"
    tension = _tier(atmosphere.tension, 0.3, 0.6, ("calm", "uneasy", "charged"))
    formality = "formal" if atmosphere.formality >= 0.6 else "informal"
    return f"{place}; {environment.weather} outside; the room feels {tension} and {formality}."


def public_view(
    *,
    participants: Sequence[str],
    names: Mapping[str, str],
    roles: Mapping[str, str],
    timepoint: Timepoint,
    environment: Environment,
    atmosphere: Atmosphere,
    goals: Sequence[str],
    mood: str,
    room: str = "",
) -> PublicView:
    """The steering agent's view: who is present, the scene, goals and mood. No private layer."""
    return PublicView(
        participants=tuple(participants),
        names={p: names.get(p, p) for p in participants},
        roles={p: roles.get(p, "") for p in participants},
        scene=describe_scene(environment, atmosphere),
        time=timepoint.timestamp.strftime("%A %d %B %Y, %H:%M"),
        goals=tuple(goals),
        mood=mood,
        tension=atmosphere.tension,
        room=room,
    )
