"""The cast and the scene at the start of a run: a scenario becomes initial state values.

``build_roster`` is pure: a ``Scenario`` plus the entity profiles it names give the entities,
their prior knowledge as ``initial`` exposure events (M3), what each withholds, the
relationships, starting minds and bodies, and the scene (M10: environment, atmosphere, crowd).
Profiles (M1 profile loading) are read by ``load_profile`` from ``profiles/entities/<name>.json``
and ``profiles/archetypes.yaml`` (or a directory the caller names) — the only file access here.

``initial_cognitive`` derives a starting mind from the behaviour axes of an entity's traits:

- arousal = 0.5 + 0.4 (neuroticism - 0.5) + 0.2 (extraversion - 0.5), within [0.05, 0.95]:
  "calm" lowers it, "anxious" or "outgoing" raise it;
- valence = 0.4 (agreeableness - 0.5) - 0.4 (neuroticism - 0.5);
- focus = 0.7 + 0.4 (conscientiousness - 0.5); energy keeps the default budget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from daedalus.domain import (
    Atmosphere,
    CognitiveState,
    Crowd,
    Entity,
    EntityProfile,
    Environment,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
    Unit,
    relationship_key,
)
from daedalus.errors import ConfigError
from daedalus.kernel._featurize import BEHAVIOR_AXES, behavior_features
from daedalus.kernel.text_support import normalise_text
from daedalus.scenario import Scenario, SceneSection

__all__ = [
    "Archetype",
    "Roster",
    "StoredProfile",
    "build_roster",
    "initial_cognitive",
    "initial_exposure_id",
    "load_archetypes",
    "load_profile",
    "planned_importance",
    "scene_state",
    "slot_id",
]

_PROFILE_NAME = r"^[a-z0-9_]+$"
_CROWD_HALF_DENSITY = 25  # people at which a crowd counts as half dense
_SEATED_FORMALITY = 0.6
_RAMP_LOW, _RAMP_HIGH = 0.3, 0.9  # importance of the first and the last planned slot
_CLOSURE = 0.8  # importance floor of a cycle's closing slot


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Archetype(_Frozen):
    """A reusable personality a profile can start from (``profiles/archetypes.yaml``)."""

    id: str
    description: str = ""
    traits: tuple[str, ...] = ()
    trait_scores: Mapping[str, Unit] = Field(default_factory=dict)
    voice_style: str = ""


class _Voice(_Frozen):
    style: str = ""
    examples: tuple[str, ...] = ()


class StoredProfile(_Frozen):
    """A profile file as loaded, with its archetype already merged in (M1).

    ``trait_scores`` and ``traits`` hold the archetype's values overridden or extended by the
    file's; ``voice.style`` falls back to the archetype's.
    """

    name: str = Field(min_length=1)
    archetype_id: str | None = None
    traits: tuple[str, ...] = ()
    trait_scores: Mapping[str, Unit] = Field(default_factory=dict)
    initial_knowledge: tuple[str, ...] = ()
    voice: _Voice = _Voice()

    def entity_profile(self) -> EntityProfile:
        """The ``EntityProfile`` an entity carries."""
        return EntityProfile(
            archetype_id=self.archetype_id,
            trait_scores=dict(self.trait_scores),
            initial_knowledge=self.initial_knowledge,
            voice_style=self.voice.style,
            voice_examples=self.voice.examples,
        )


def _package_root() -> Traversable:
    return resources.files("daedalus.profiles")


def load_archetypes(directory: Path | None = None) -> dict[str, Archetype]:
    """The shipped archetypes, plus (overriding) those of ``directory/archetypes.yaml``."""
    sources: list[tuple[str, str]] = [
        ("profiles/archetypes.yaml", (_package_root() / "archetypes.yaml").read_text("utf-8"))
    ]
    if directory is not None and (directory / "archetypes.yaml").is_file():
        path = directory / "archetypes.yaml"
        sources.append((str(path), path.read_text(encoding="utf-8")))
    found: dict[str, Archetype] = {}
    for source, text in sources:
        data = yaml.safe_load(text) or {}
        table = data.get("archetypes") if isinstance(data, dict) else None
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: expected a mapping under 'archetypes'")
        for key, body in table.items():
            try:
                found[str(key)] = Archetype.model_validate({"id": str(key), **(body or {})})
            except (ValidationError, TypeError) as exc:
                raise ConfigError(f"{source}: archetype {key!r} is invalid ({exc})") from None
    return found


def load_profile(
    name: str,
    *,
    directory: Path | None = None,
    archetypes: Mapping[str, Archetype] | None = None,
) -> StoredProfile:
    """The entity profile ``<name>.json`` from ``directory`` (default: the shipped
    ``profiles/entities``), merged with its archetype (M1 profile loading).

    Raises ``ConfigError`` for a missing file, invalid JSON fields or an unknown archetype.
    """
    if not re.match(_PROFILE_NAME, name):
        raise ConfigError(f"profile name {name!r} must be lower-case letters, digits and '_'")
    root: Traversable | Path = directory if directory is not None else _package_root() / "entities"
    path = root / f"{name}.json"
    if not path.is_file():
        known = sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".json"))
        listed = ", ".join(known) or "none"
        raise ConfigError(f"no entity profile named {name!r} in {root}; available: {listed}")
    try:
        raw = StoredProfile.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise ConfigError(f"entity profile {name!r}: {where}: {first['msg']}") from None
    if raw.archetype_id is None:
        return raw
    table = archetypes if archetypes is not None else load_archetypes(directory)
    archetype = table.get(raw.archetype_id)
    if archetype is None:
        choices = ", ".join(sorted(table)) or "none"
        message = f"entity profile {name!r} names unknown archetype {raw.archetype_id!r}"
        raise ConfigError(f"{message}; known archetypes: {choices}")
    return raw.model_copy(
        update={
            "traits": tuple(dict.fromkeys((*archetype.traits, *raw.traits))),
            "trait_scores": {**archetype.trait_scores, **raw.trait_scores},
            "voice": raw.voice.model_copy(
                update={"style": raw.voice.style or archetype.voice_style}
            ),
        }
    )


class Roster(_Frozen):
    """Initial state values of a run; ``state_update()`` gives them as ``SimState`` keys."""

    entities: Mapping[str, Entity]
    exposures: tuple[ExposureEvent, ...]
    withheld: Mapping[str, tuple[str, ...]]
    relationships: Mapping[str, Relationship]
    cognitive: Mapping[str, CognitiveState]
    physical: Mapping[str, PhysicalState]
    environment: Environment
    atmosphere: Atmosphere
    crowd: Crowd
    profiled: tuple[str, ...] = Field(description="ids of entities whose profile was loaded")

    def state_update(self) -> dict[str, Any]:
        """The values as a graph-state update (M10 counted once; M1 once per loaded profile)."""
        mechanisms = {"M10": 1}
        if self.profiled:
            mechanisms["M1"] = len(self.profiled)
        return {
            "entities": dict(self.entities),
            "exposures": list(self.exposures),
            "withheld": {key: list(ids) for key, ids in self.withheld.items()},
            "relationships": dict(self.relationships),
            "cognitive": dict(self.cognitive),
            "physical": dict(self.physical),
            "environment": self.environment,
            "atmosphere": self.atmosphere,
            "crowd": self.crowd,
            "mechanisms": mechanisms,
        }


def initial_exposure_id(entity_id: str, number: int) -> str:
    """Id of an entity's ``number``-th prior-knowledge exposure: ``init-<entity>-<n>``."""
    return f"init-{entity_id}-{number}"


def initial_cognitive(entity: Entity) -> CognitiveState:
    """A starting mind from the entity's behaviour axes (rules in the module docstring)."""
    axes = dict(zip(BEHAVIOR_AXES, behavior_features(entity).tolist(), strict=False))
    arousal = 0.5 + 0.4 * (axes["neuroticism"] - 0.5) + 0.2 * (axes["extraversion"] - 0.5)
    valence = 0.4 * (axes["agreeableness"] - 0.5) - 0.4 * (axes["neuroticism"] - 0.5)
    focus = 0.7 + 0.4 * (axes["conscientiousness"] - 0.5)
    return CognitiveState(
        valence=round(max(-1.0, min(1.0, valence)), 4),
        arousal=round(max(0.05, min(0.95, arousal)), 4),
        focus=round(max(0.0, min(1.0, focus)), 4),
    )


def scene_state(scene: SceneSection) -> tuple[Environment, Atmosphere, Crowd]:
    """The scene entities (M10) from the scenario's scene section.

    The crowd's density is ``size / (size + 25)``; its mood splits between "tense" and
    "at ease" by the scene's tension; it sits when the scene is formal (>= 0.6), else mills.
    """
    environment = Environment(
        location=scene.location, lighting=scene.lighting, weather=scene.weather
    )
    atmosphere = Atmosphere(tension=scene.tension, formality=scene.formality)
    size = scene.crowd_size
    if size == 0:
        return environment, atmosphere, Crowd()
    crowd = Crowd(
        size=size,
        density=round(size / (size + _CROWD_HALF_DENSITY), 4),
        mood_distribution={"tense": scene.tension, "at ease": round(1.0 - scene.tension, 4)},
        movement_pattern="seated" if scene.formality >= _SEATED_FORMALITY else "milling",
    )
    return environment, atmosphere, crowd


def build_roster(scenario: Scenario, profiles: Mapping[str, StoredProfile]) -> Roster:
    """The initial state of a run (M1 profile loading, M3 prior knowledge, M10 scene).

    - Entities: one per ``EntitySpec``; with ``profile: <name>`` the profile (from
      ``profiles[name]``) is attached and its trait words are added to the spec's.
    - Exposures: each spec knowledge item (source ``"scenario"``), then each profile item not
      already said by the spec (source ``"profile"``), as ``initial`` events before the
      timeline (``timepoint_id=None``), ids ``init-<entity>-<n>`` counted from 0.
    - Withheld: per entity, the ids of its ``private`` items (empty list when none).
    - Relationships keyed by ``relationship_key``; a pair listed twice is a ``ConfigError``.
    - Minds from ``initial_cognitive``; bodies placed at the spec's location, else the scene's.
    """
    entities: dict[str, Entity] = {}
    exposures: list[ExposureEvent] = []
    withheld: dict[str, tuple[str, ...]] = {}
    profiled: list[str] = []
    for spec in scenario.entities:
        stored = None
        if spec.profile is not None:
            stored = profiles.get(spec.profile)
            if stored is None:
                raise ConfigError(f"entity {spec.id!r} names profile {spec.profile!r}, not loaded")
            profiled.append(spec.id)
        traits = (*spec.traits, *(stored.traits if stored else ()))
        entities[spec.id] = Entity(
            id=spec.id,
            name=spec.name,
            kind=spec.kind,
            role=spec.role,
            traits=tuple(dict.fromkeys(traits)),
            profile=_with_voice(stored.entity_profile(), spec.voice.style, spec.voice.examples)
            if stored
            else None,
        )
        items = [(k.text, k.private, k.confidence, "scenario") for k in spec.knowledge]
        said = {normalise_text(k.text) for k in spec.knowledge}
        for text in stored.initial_knowledge if stored else ():
            if normalise_text(text) not in said:
                said.add(normalise_text(text))
                items.append((text, False, 1.0, "profile"))
        private: list[str] = []
        for number, (text, is_private, confidence, source) in enumerate(items):
            event_id = initial_exposure_id(spec.id, number)
            exposures.append(
                ExposureEvent(
                    id=event_id,
                    entity_id=spec.id,
                    kind=ExposureKind.INITIAL,
                    information=text,
                    source=source,
                    confidence=confidence,
                )
            )
            if is_private:
                private.append(event_id)
        withheld[spec.id] = tuple(private)
    environment, atmosphere, crowd = scene_state(scenario.scene)
    return Roster(
        entities=entities,
        exposures=tuple(exposures),
        withheld=withheld,
        relationships=_relationships(scenario),
        cognitive={key: initial_cognitive(entity) for key, entity in entities.items()},
        physical={
            spec.id: PhysicalState(location=spec.location or scenario.scene.location or None)
            for spec in scenario.entities
        },
        environment=environment,
        atmosphere=atmosphere,
        crowd=crowd,
        profiled=tuple(profiled),
    )


def _with_voice(
    profile: EntityProfile, style: str, examples: Iterable[str]
) -> EntityProfile:
    # the scenario's own voice for this run wins over the profile's general one
    update: dict[str, Any] = {}
    if style:
        update["voice_style"] = style
    examples = tuple(examples)
    if examples:
        update["voice_examples"] = examples
    return profile.model_copy(update=update) if update else profile


def _relationships(scenario: Scenario) -> dict[str, Relationship]:
    found: dict[str, Relationship] = {}
    for index, spec in enumerate(scenario.relationships):
        key = relationship_key(spec.a, spec.b)
        if key in found:
            raise ConfigError(f"relationships[{index}] repeats the pair {key!r}; list it once")
        found[key] = Relationship(
            a=spec.a,
            b=spec.b,
            kind=spec.kind,
            trust=spec.trust,
            alignment=spec.alignment,
            power=spec.power,
        )
    return found


def slot_id(index: int) -> str:
    """Id of the ``index``-th planned timepoint slot: ``slot-000``, ``slot-001``..."""
    return f"slot-{index:03d}"


def planned_importance(scenario: Scenario) -> dict[str, float]:
    """Importance of each planned timepoint slot (``timeline.steps`` of them), for M1 + M17.

    The ramp rises linearly from 0.3 at the first slot to 0.9 at the last (0.9 for a single
    slot): a story builds toward its latest moment, which in PORTAL mode is the known
    endpoint. DIRECTORIAL tension targets, when given, replace the ramp (resampled over the
    slots); a BRANCHING fork step is raised to 0.9; each CYCLICAL cycle's closing slot to 0.8.
    """
    steps = scenario.timeline.steps
    positions = [index / (steps - 1) if steps > 1 else 1.0 for index in range(steps)]
    values = [_RAMP_LOW + (_RAMP_HIGH - _RAMP_LOW) * x for x in positions]
    directorial = scenario.directorial
    if directorial is not None and directorial.tension_targets:
        values = [_resample(directorial.tension_targets, x) for x in positions]
    branching = scenario.branching
    if branching is not None and branching.fork_step is not None and branching.fork_step < steps:
        values[branching.fork_step] = max(values[branching.fork_step], _RAMP_HIGH)
    if scenario.cyclical is not None:
        length = scenario.cyclical.cycle_length
        for index in range(length - 1, steps, length):
            values[index] = max(values[index], _CLOSURE)
    return {slot_id(i): round(min(1.0, max(0.0, v)), 6) for i, v in enumerate(values)}


def _resample(targets: tuple[float, ...], position: float) -> float:
    if len(targets) == 1:
        return targets[0]
    scaled = position * (len(targets) - 1)
    low = min(int(scaled), len(targets) - 2)
    weight = scaled - low
    return targets[low] * (1.0 - weight) + targets[low + 1] * weight
