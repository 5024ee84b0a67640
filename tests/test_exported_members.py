"""Pins the public surface: a name added or removed here is a deliberate API change."""

import importlib

import pytest

EXPECTED = {
    "daedalus": [
        "Atmosphere", "CognitiveState", "Crowd", "DaedalusError", "Dialog", "DialogTurn", "Entity",
        "EntityKind", "EntityMetadata", "EntityProfile", "Environment", "Expectation",
        "ExposureEvent", "ExposureKind", "PhysicalState", "ProspectiveState", "Provenance",
        "Relationship", "ResolutionLevel", "Scenario", "TemporalMode", "Timepoint", "__version__",
        "knowledge_at", "list_templates", "load_template",
    ],
    "daedalus.agents": [
        "character", "extraction", "prospection", "quality_gate", "relationships", "steering",
    ],
    "daedalus.graphs": [
        "build_dialog_graph", "dialog_step", "prepare_dialog", "run_dialog", "select_participants",
    ],
    "daedalus.testing": [
        "Answer", "ScriptedCall", "ScriptedModel", "block_network", "is_local_host", "network_blocked",
    ],
    "daedalus.llm": [
        "ACTION_REQUIREMENTS", "OFFLINE_MODEL_NAME", "ActionRequirements", "ActionType",
        "BudgetGuard", "CallRecord", "Capability", "InMemoryResponseCache", "Ledger",
        "ModelProfile", "ModelRegistry", "OfflineChatModel", "Preference", "ResponseCache",
        "Router", "SQLiteResponseCache", "SamplingParams", "StructuredOutputMethod", "UsageTotals",
        "fallback_chain", "load_registry", "select_model",
    ],
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_is_pinned(module_name):
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(EXPECTED[module_name])
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{module_name}.{name} is exported but missing"


def test_kernel_never_imports_agents_or_graphs():
    import subprocess
    import sys

    code = (
        "import sys, daedalus, daedalus.provenance, daedalus.validators, daedalus.state, "
        "daedalus.fidelity, daedalus.tensors, daedalus.strategy, daedalus.temporal; "
        "bad = [m for m in sys.modules if m.startswith(('daedalus.agents', 'daedalus.graphs'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
