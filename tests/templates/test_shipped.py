"""The shipped catalogue: every template loads, and the catalogue keeps its promises."""

from collections import Counter
from datetime import date, timedelta
from functools import cache
from importlib import resources

import pytest

from daedalus.domain import EntityKind, TemporalMode
from daedalus.kernel.animism import animism_allows
from daedalus.kernel.entity_gap import entity_slug, scenario_gap
from daedalus.scenario import PortalStrategy, Scenario, Tier
from daedalus.templates import list_templates, load_template, parse_template

REQUIRED_IDS = {
    "board_meeting",
    "jefferson_dinner",
    "hospital_crisis",
    "detective_prospection",
    "kami_shrine",
    "sec_investigation",
    "vc_pitch_roadshow",
    "vc_pitch_branching",
    "grant_review_panel",
    "castaway_colony_branching",
    "hound_shadow_directorial",
    "mars_mission_portal",
    "litigation_portal",
    "elk_migration",
    "convergence_simple",
}
_SECTIONS = ("portal", "branching", "cyclical", "directorial", "nonlinear")


@cache
def _catalogue() -> dict[str, Scenario]:
    return {info.id: load_template(info.id) for info in list_templates()}


def _ids() -> list[str]:
    return sorted(_catalogue())


def _orphans(scenario: Scenario) -> set[str]:
    """Entities in no relationship (none when the scenario has a single entity)."""
    if len(scenario.entities) < 2:
        return set()
    linked = {side for rel in scenario.relationships for side in (rel.a, rel.b)}
    return set(scenario.entity_ids) - linked


def _shape_problems(scenario: Scenario) -> list[str]:
    """What breaks the catalogue's per-template conventions (empty when it conforms)."""
    found = []
    mode_section = scenario.mode.value if scenario.mode is not TemporalMode.PEARL else None
    for name in _SECTIONS:
        present = getattr(scenario, name) is not None
        if present != (name == mode_section):
            found.append(f"section {name} present={present} in mode {scenario.mode.value}")
    if not 2 <= len(scenario.entities) <= 8:
        found.append(f"{len(scenario.entities)} entities")
    for spec in scenario.entities:
        if not 2 <= len(spec.traits) <= 5 or not 1 <= len(spec.knowledge) <= 4:
            found.append(f"{spec.id}: {len(spec.traits)} traits, {len(spec.knowledge)} knowledge")
        if not spec.role or not spec.voice.style:
            found.append(f"{spec.id}: no role or voice style")
        if not animism_allows(spec.kind, scenario.animism):
            found.append(f"{spec.id}: kind {spec.kind.value} not admitted at {scenario.animism}")
    if _orphans(scenario):
        found.append(f"orphaned entities {sorted(_orphans(scenario))}")
    pairs = Counter(frozenset((rel.a, rel.b)) for rel in scenario.relationships)
    if any(count > 1 for count in pairs.values()):
        found.append("a pair of entities has two relationships")
    if scenario.dialog.participants > len(scenario.entities):
        found.append("more dialog participants than entities")
    if not scenario.scene.location or not scenario.scene.goals:
        found.append("scene without a location or goals")
    return found


def _mode_problems(scenario: Scenario) -> list[str]:
    """What makes a template's mode section unusable by its own timeline (empty when sound)."""
    steps = scenario.timeline.steps
    found = []
    if scenario.directorial is not None:
        section = scenario.directorial
        if len(section.tension_targets) != section.acts:
            found.append("one tension target per act expected")
        if section.pov not in scenario.entity_ids:
            found.append(f"pov {section.pov!r} is not an entity")
    if scenario.cyclical is not None:
        if steps % scenario.cyclical.cycle_length:
            found.append(f"{steps} steps do not fill whole cycles")
        if not scenario.cyclical.prophecy:
            found.append("no prophecy")
    if scenario.branching is not None:
        section = scenario.branching
        if len(section.branch_points) != section.branches:
            found.append("one branch point per branch expected")
        if section.fork_step is None or section.fork_step >= steps:
            found.append(f"fork_step {section.fork_step} outside 0..{steps - 1}")
    return found


def _tier_problems(scenario: Scenario) -> list[str]:
    """Where a template's size disagrees with its tier (empty when it fits)."""
    entities, steps = len(scenario.entities), scenario.timeline.steps
    found = []
    if scenario.tier is Tier.QUICK:
        if entities > 3 or steps > 3 or not 4 <= scenario.dialog.max_turns <= 6:
            found.append(f"quick but {entities} entities, {steps} steps")
        if scenario.portal is not None and (steps != 2 or scenario.portal.candidates != 3):
            found.append("a quick portal has 2 steps and 3 candidates")
    if scenario.tier is Tier.STANDARD and not (3 <= entities <= 5 and 3 <= steps <= 6):
        found.append(f"standard but {entities} entities, {steps} steps")
    return found


def test_every_file_is_named_after_its_template_id():
    files = [p for p in resources.files("daedalus.templates").iterdir() if p.name.endswith(".yaml")]
    assert len(files) == len(_catalogue())
    for path in files:
        scenario = parse_template(path.read_text(encoding="utf-8"), source=path.name)
        assert f"{scenario.id}.yaml" == path.name


def test_catalogue_has_the_required_ids_and_breadth():
    catalogue = _catalogue()
    assert len(catalogue) >= 21
    assert set(catalogue) >= REQUIRED_IDS
    modes = Counter(s.mode for s in catalogue.values())
    assert all(modes[mode] >= 2 for mode in TemporalMode), modes
    quick = [s for s in catalogue.values() if s.tier is Tier.QUICK]
    assert len(quick) >= 6
    assert {s.mode for s in quick} == set(TemporalMode)


@pytest.mark.parametrize("template_id", _ids())
def test_shipped_template_conforms(template_id):
    scenario = _catalogue()[template_id]
    assert _shape_problems(scenario) == []
    assert _mode_problems(scenario) == []
    assert _tier_problems(scenario) == []


@pytest.mark.parametrize("template_id", _ids())
def test_every_template_has_friction(template_id):
    scenario = _catalogue()[template_id]
    assert any(item.private for spec in scenario.entities for item in spec.knowledge)
    assert min(rel.alignment for rel in scenario.relationships) < 0


def test_mars_mission_portal_numbers():
    mars = _catalogue()["mars_mission_portal"]
    assert mars.mode is TemporalMode.PORTAL and mars.tier is Tier.COMPREHENSIVE
    names = {spec.name: spec.role for spec in mars.entities}
    assert names == {
        "Thomas Webb": "Mission Director",
        "Lin Zhang": "Systems Engineer",
        "Raj Mehta": "Flight Engineer",
        "Sarah Okafor": "Mission Commander",
    }
    assert mars.start == date(2026, 1, 1)
    assert mars.portal is not None
    assert mars.portal.endpoint_time == date(2031, 7, 1)
    assert "loses contact during Mars orbital insertion" in mars.portal.endpoint
    assert (mars.portal.candidates, mars.portal.strategy) == (7, PortalStrategy.ADAPTIVE)
    assert mars.portal.coherence_threshold == 0.7
    assert (mars.timeline.steps, mars.timeline.step) == (10, "6 months")


def test_non_human_entities_where_the_scenario_needs_them():
    catalogue = _catalogue()
    kami = catalogue["kami_shrine"]
    assert kami.animism == 5
    assert any(s.kind in (EntityKind.CONCEPT, EntityKind.PLACE) for s in kami.entities)
    elk = catalogue["elk_migration"]
    assert elk.mode is TemporalMode.CYCLICAL and elk.animism >= 1
    assert sum(s.kind is EntityKind.ANIMAL for s in elk.entities) >= 2
    structural = {EntityKind.BUILDING, EntityKind.INSTITUTION}
    assert any(
        2 <= s.animism <= 3 and any(e.kind in structural for e in s.entities)
        for s in catalogue.values()
    )


def test_extras_are_background_figures_not_defined_entities():
    with_extras = {k: s for k, s in _catalogue().items() if s.extras}
    assert len(with_extras) >= 4
    for scenario in with_extras.values():
        slugs = [entity_slug(name) for name in scenario.extras]
        assert not set(slugs) & set(scenario.entity_ids)
        assert [m.id for m in scenario_gap(scenario)][: len(slugs)] == slugs
    assert "Larkspur" in with_extras["elk_migration"].cyclical.prophecy


def test_convergence_simple_is_the_cheapest_run():
    def size(scenario: Scenario) -> int:
        return len(scenario.entities) * scenario.timeline.steps * scenario.dialog.max_turns

    catalogue = _catalogue()
    cheapest = catalogue["convergence_simple"]
    assert len(cheapest.entities) == 2 and cheapest.tier is Tier.QUICK
    assert size(cheapest) < min(size(s) for k, s in catalogue.items() if k != cheapest.id)


def test_time_steps_span_minutes_to_years():
    deltas = {k: s.timeline.step_delta for k, s in _catalogue().items()}
    assert deltas["hospital_crisis"] <= timedelta(hours=1)
    assert deltas["mars_mission_portal"] >= timedelta(days=180)
    assert deltas["elk_migration"] >= timedelta(days=80)
    assert len(set(deltas.values())) >= 8


_BASE = (
    "id: probe\nname: Probe\ndescription: d\nstart: 2026-01-01\n"
    "scene: {location: here, goals: [g]}\n"
)
_PERSON = "{{id: {0}, name: {0}, role: r, traits: [a, b], knowledge: [k], voice: {{style: s}}}}"


def _probe(extra: str, ids: tuple[str, ...] = ("a", "b"), mode: str = "pearl") -> Scenario:
    people = ", ".join(_PERSON.format(i) for i in ids)
    dialog = f"dialog: {{participants: {len(ids)}, max_turns: 6}}\n"
    return parse_template(f"{_BASE}mode: {mode}\nentities: [{people}]\n{dialog}{extra}")


def test_checks_catch_broken_templates():
    linked = "relationships: [{a: a, b: b}]\n"
    assert _shape_problems(_probe(linked)) == []
    assert _orphans(_probe(linked, ("a", "b", "c"))) == {"c"}
    assert _orphans(_probe("", ("a",))) == set()
    twice = "relationships: [{a: a, b: b}, {a: b, b: a}]\n"
    assert "a pair of entities has two relationships" in _shape_problems(_probe(twice))
    stray = linked + "cyclical: {cycle_length: 2}\n"
    assert any("section cyclical" in p for p in _shape_problems(_probe(stray)))
    animal = (
        "entities: [{id: c, name: c, kind: animal, role: r, traits: [a, b], knowledge: [k],"
        " voice: {style: s}}]\n"
    )
    spirit = parse_template(f"{_BASE}mode: pearl\ndialog: {{participants: 1}}\n{animal}")
    assert any("not admitted" in p for p in _shape_problems(spirit))


def test_mode_and_tier_checks_catch_mismatches():
    cyc = _probe("timeline: {steps: 3}\ncyclical: {cycle_length: 2}\n", mode="cyclical")
    assert _mode_problems(cyc) == ["3 steps do not fill whole cycles", "no prophecy"]
    drama = "directorial: {acts: 3, tension_targets: [0.2, 0.8], pov: z}\n"
    assert len(_mode_problems(_probe(drama, mode="directorial"))) == 2
    fork = "timeline: {steps: 2}\nbranching: {branches: 2, branch_points: [x, y], fork_step: 2}\n"
    assert _mode_problems(_probe(fork, mode="branching")) == ["fork_step 2 outside 0..1"]
    big = _probe("tier: quick\ntimeline: {steps: 5}\n")
    assert _tier_problems(big) == ["quick but 2 entities, 5 steps"]
    portal = (
        "tier: quick\ntimeline: {steps: 2}\n"
        "portal: {endpoint: e, endpoint_time: 2027-01-01, candidates: 7}\n"
    )
    assert _tier_problems(_probe(portal, mode="portal")) == [
        "a quick portal has 2 steps and 3 candidates"
    ]
