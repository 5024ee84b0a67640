"""Pins the public surface: a name added or removed here is a deliberate API change."""

import importlib

import pytest

EXPECTED = {
    "daedalus": [
        "Atmosphere", "CognitiveState", "Crowd", "DaedalusError", "Dialog", "DialogTurn", "Entity",
        "EntityKind", "EntityMetadata", "EntityProfile", "Environment", "Expectation",
        "ExposureEvent", "ExposureKind", "PhysicalState", "ProspectiveState", "Provenance",
        "Relationship", "ResolutionLevel", "Run", "Scenario", "TemporalMode", "Timepoint",
        "__version__", "branch", "compare", "estimate", "knowledge_at", "list_templates",
        "load_template", "resume", "run", "run_batch",
    ],
    "daedalus.batch": [
        "BatchAnalysis", "BatchEntry", "BatchOptions", "BatchRecord", "BatchResult", "RunSpec",
        "RunUpdate", "analyze", "list_batches", "load_batch", "parse_seeds", "parse_set",
        "resume_batch", "run_batch", "sweep", "write_report",
    ],
    "daedalus.agents": [
        "character", "extraction", "generate_entities", "generate_missing", "judge_prophecies",
        "make_prophecy", "next_event", "populate_tensors", "portal_candidates", "portal_forward",
        "portal_judge", "progressive_training", "prospection", "quality_gate", "relationships",
        "steering", "vertical_expansion", "write_answer", "write_event",
    ],
    "daedalus.graphs": [
        "BranchSpec", "QueryAnswer", "add_scene_setup", "add_timestep", "answer_query",
        "build_branching_graph", "build_cyclical_graph", "build_dialog_graph",
        "build_directorial_graph", "build_graph", "build_nonlinear_graph", "build_pearl_graph",
        "build_portal_graph", "build_scene_graph", "build_timestep_graph", "dialog_step",
        "fork_branch", "prepare_dialog", "recursion_limit_for", "run_dialog",
        "select_participants",
    ],
    "daedalus.store": [
        "DEFAULT_LIST_LIMIT", "DEFAULT_STORE_DIR", "LEASE_TTL_S", "Lease", "MemoryRunStore", "RunStore", "RunSummary",
        "STORE_ENV", "SqliteRunStore", "SqliteStore", "Store", "StoreLayout", "open_store", "store_dir",
    ],
    "daedalus.store.postgres": [
        "DEFAULT_SCHEMA", "PostgresCallLog", "PostgresResponseCache", "PostgresRunStore", "PostgresStore",
        "async_postgres_checkpointer", "postgres_checkpointer",
    ],
    "daedalus.exports": ["EXPORT_FILES", "EXPORT_FORMATS", "write_exports"],
    "daedalus.service": [
        "ApiKey", "Executor", "Job", "JobQueue", "KeyStore", "LocalExecutor", "RunEvent",
        "ServiceDb", "Worker", "create_app",
    ],
    "daedalus.world": [
        "KPI_NAMES", "TickRecord", "World", "WorldConfig", "list_presets", "load_preset",
        "parse_preset",
    ],
    "daedalus.world.actors": [
        "BANK_VERBS", "FIRM_VERBS", "GOVERNMENT_VERBS", "ActionProposal", "ActorWorld",
        "DecisionProvider", "GateLimits", "Observation", "ReplayProvider", "RulesProvider",
        "SafetyGate", "VerbSpec", "Verdict", "observe_bank", "observe_firm", "observe_government",
    ],
    "daedalus.templates": ["MAX_TEMPLATE_BYTES", "TemplateInfo", "list_templates", "load_template", "parse_template"],
    "daedalus.prompts": ["Prompt", "available_prompts", "load_prompt"],
    "daedalus.runs": [
        "OFFLINE_NOTICE", "Convergence", "Estimate", "Run", "branch", "compare", "estimate",
        "resume", "run",
    ],
    "daedalus.testing": [
        "Answer", "LoopbackOpenRouter", "ScriptedCall", "ScriptedModel", "block_network",
        "is_local_host", "network_blocked",
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
        "daedalus.kernel.fidelity, daedalus.kernel.tensors, daedalus.kernel.strategy, daedalus.kernel.temporal; "
        "bad = [m for m in sys.modules if m.startswith(('daedalus.agents', 'daedalus.graphs'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
