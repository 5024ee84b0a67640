"""A tour of the Daedalus kernel, offline: provenance, fidelity, tensors, validators, one dialog.

Run it with ``python examples/kernel_demo.py`` (no key, no network).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from langgraph.runtime import Runtime

from daedalus.context import RunContext
from daedalus.domain import (
    CognitiveState,
    Entity,
    ExposureEvent,
    ExposureKind,
    PhysicalState,
    Relationship,
    TemporalMode,
    Timepoint,
)
from daedalus.graphs.dialog import run_dialog
from daedalus.kernel.adprs import band, composite_phi, envelopes_for
from daedalus.kernel.fidelity import relationship_centrality
from daedalus.kernel.strategy import BudgetMode, FidelityTemplate, plan_fidelity
from daedalus.kernel.tensors import build_baseline_tensor, fit_compression
from daedalus.llm.router import Router
from daedalus.provenance import Provenance
from daedalus.templates import load_template
from daedalus.validators import ExposureRef, information_conservation


def main() -> None:
    scenario = load_template("board_meeting")
    print(f"Scenario: {scenario.name} ({scenario.mode.value}, {len(scenario.entities)} people)")

    # A timeline with a counterfactual branch forking after the first meeting (M7, M12).
    start = scenario.start_time
    timepoints = [
        Timepoint(id="tp-0", timestamp=start, event_description="The board convenes",
                  entities_present=scenario.entity_ids, importance=0.6),
        Timepoint(id="tp-1", timestamp=start + timedelta(days=7), causal_parent="tp-0",
                  event_description="The finance chief briefs the independent director",
                  entities_present=("daniel_reyes", "helen_park"), importance=0.8),
        Timepoint(id="alt-1", timestamp=start + timedelta(days=7), causal_parent="tp-0",
                  branch_id="what_if", event_description="The briefing never happens",
                  entities_present=("helen_park",), importance=0.4),
    ]
    entities = {s.id: Entity(id=s.id, name=s.name, role=s.role, traits=s.traits)
                for s in scenario.entities}
    exposures = [
        ExposureEvent(id=f"init-{s.id}-{n}", entity_id=s.id, kind=ExposureKind.INITIAL,
                      information=item.text, source="scenario")
        for s in scenario.entities for n, item in enumerate(s.knowledge)
    ]
    exposures.append(ExposureEvent(
        id="told-cash", entity_id="helen_park", kind=ExposureKind.TOLD, source="daniel_reyes",
        information="Cash covers seven months of operations at the current burn",
        timepoint_id="tp-1", timestamp=start + timedelta(days=7)))

    # Knowledge provenance (M3): Helen learns the cash figure only on the main line.
    prov = Provenance(timepoints, exposures)
    for where in ("tp-0", "tp-1", "alt-1"):
        known = [e.information for e in prov.knowledge_at("helen_park", where)]
        print(f"Helen at {where}: {len(known)} item(s); knows the cash figure: "
              f"{any('seven months' in k for k in known)}")

    # Validators (M4): citing an exposure she lacks on the branch is a violation.
    check = information_conservation("helen_park", "alt-1", [ExposureRef("told-cash")],
                                     prov.knowledge_at("helen_park", "alt-1"))
    print(f"Information conservation on the branch: valid={check.valid} "
          f"({check.violations[0].message if check.violations else 'no violation'})")

    # Fidelity (M1, M5, M17) and ADPRS gating.
    relationships = [Relationship(a=r.a, b=r.b, trust=r.trust, alignment=r.alignment)
                     for r in scenario.relationships]
    centrality = relationship_centrality(list(entities), relationships)
    plan = plan_fidelity(TemporalMode.PEARL, FidelityTemplate.BALANCED,
                         {"tp-0": 0.6, "tp-1": 0.8}, centrality, BudgetMode.SOFT)
    print(f"Fidelity plan: {plan.estimated_tokens:,} tokens of a {plan.token_budget:,} budget")
    envelopes = envelopes_for(list(entities), timepoints[:2])
    for entity_id in entities:
        phi = composite_phi(envelopes.get(entity_id, ()), 1)
        print(f"  {entity_id:13s} phi={phi:.2f} band={band(phi).label}")

    # TTM tensors (M6): a real PCA fitted over the cast.
    tensors = {eid: build_baseline_tensor(entity, CognitiveState(), PhysicalState(), [])
               for eid, entity in entities.items()}
    fitted = fit_compression(tensors.values())
    errors = [fitted.reconstruction_error(t) for t in tensors.values()]
    print(f"Tensor compression 64/16/32 -> 8/4/8: max reconstruction error {max(errors):.2e}")

    # One dialog (M11) with the offline model: no key, no network.
    state = {"scenario": scenario, "entities": entities, "timepoints": timepoints,
             "exposures": exposures, "relationships": {r.key: r for r in relationships},
             "withheld": {}}
    router = Router.offline(seed=7)
    delta = asyncio.run(run_dialog(state, "tp-0", scenario.entity_ids,
                                   Runtime(context=RunContext(router=router))))
    dialog = delta["dialogs"][0]
    print(f"\nDialog at tp-0 (offline model), {len(dialog.turns)} turns:")
    for turn in dialog.turns[:4]:
        print(f"  {entities[turn.speaker].name}: {turn.content[:90]}")
    totals = router.ledger.totals()
    print(f"{totals.calls} model calls, {totals.prompt_tokens:,} prompt tokens, "
          f"{len(delta['exposures'])} new exposures; mechanisms: {sorted(delta['mechanisms'])}")


if __name__ == "__main__":
    main()
