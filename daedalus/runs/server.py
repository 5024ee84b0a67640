"""Compiled graphs for the LangGraph server: one per temporal mode, named in ``langgraph.json``.

``pearl``, ``portal``, ``branching``, ``cyclical``, ``directorial`` and ``nonlinear`` each take
``{"template": "<shipped template id>", "seed": 1}`` or ``{"yaml": "<template YAML>", "seed": 1}``
and run::

    START -> load_scenario -> simulate -> END

``load_scenario`` validates the scenario, whose mode must be the graph's. ``simulate`` runs the
mode graph (M17) to its end on a private in-memory checkpoint thread, so a BRANCHING run forks
its counterfactuals (M12) from that thread exactly as ``daedalus.runs.run`` does, and passes the
mode graph's progress events on to the caller's ``custom`` stream. The output is the whole run
(``RunRecord.from_state`` reads it) plus ``usage``, the router's ledger summary; the models M18
chose are counted under ``mechanisms["M18"]``, as a stored run counts them.

The context is optional JSON (``ServerContext``). With none, the router is chosen the way
``daedalus run`` chooses it: OpenRouter with M18 routing when ``OPENROUTER_API_KEY`` is set,
the offline model otherwise. A ``RunContext`` handed in from Python is used as it is. The graphs
are compiled without a checkpointer: the server brings its own.
"""

import asyncio
import contextvars
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from daedalus.context import RunContext
from daedalus.domain import (
    CognitiveState,
    Dialog,
    Entity,
    Environment,
    ExposureEvent,
    PhysicalState,
    Relationship,
    ResolutionLevel,
    TemporalMode,
    Timepoint,
)
from daedalus.errors import ConfigError, TemplateError
from daedalus.graphs.branching import BranchSpec, fork_branch
from daedalus.graphs.modes import build_graph, recursion_limit_for
from daedalus.kernel.dialog import Contradiction
from daedalus.kernel.temporal import ConsistencyReport, Prophecy
from daedalus.llm.cache import InMemoryResponseCache
from daedalus.llm.ledger import Ledger
from daedalus.portal import PortalRecord
from daedalus.runs._execute import merge_branch
from daedalus.runs._router import build_router
from daedalus.scenario import Scenario
from daedalus.state import ValidationRecord, add_counts
from daedalus.store.checkpoint import memory_checkpointer
from daedalus.templates import load_template, parse_template

__all__ = [
    "GRAPHS",
    "LOAD_NODE",
    "SIMULATE_NODE",
    "ScenarioLoader",
    "ServerContext",
    "ServerInput",
    "ServerOutput",
    "branching",
    "build_server_graph",
    "cyclical",
    "directorial",
    "nonlinear",
    "pearl",
    "portal",
    "shipped_template_ids",
]

LOAD_NODE = "load_scenario"
SIMULATE_NODE = "simulate"
_THREAD = "server-run"


@dataclass(frozen=True)
class ServerContext:
    """What a server caller may choose about the model; every field is optional.

    ``model``: ``"offline"``, an OpenRouter model id pinned first in every chain, or ``None``
    (M18 routing with a key, the offline model without). ``base_url``: any OpenAI-compatible
    server. ``budget_usd`` and ``budget_mode`` (``soft``/``hard``, default the scenario's) bound
    the dollars; ``concurrency`` bounds requests in flight.
    """

    model: str | None = None
    base_url: str | None = None
    budget_usd: float | None = None
    budget_mode: str | None = None
    concurrency: int = 8
    quality_threshold: float = 0.5


class ServerInput(TypedDict, total=False):
    """A run request: ``template`` (a shipped id) or ``yaml`` (template text), and ``seed``."""

    template: str
    yaml: str
    seed: int


class ServerOutput(TypedDict, total=False):
    """The finished run: the simulation state ``RunRecord.from_state`` reads, the mode's own
    results (``consistency``, ``presentation``, ``prophecies``, ``portal``, ``branches``) and
    ``usage`` (the ledger summary: calls, tokens and dollars by node, model and action)."""

    scenario: Scenario
    entities: dict[str, Entity]
    timepoints: list[Timepoint]
    exposures: list[ExposureEvent]
    withheld: dict[str, list[str]]
    dialogs: list[Dialog]
    relationships: dict[str, Relationship]
    cognitive: dict[str, CognitiveState]
    physical: dict[str, PhysicalState]
    environment: Environment
    contradictions: list[Contradiction]
    validation: list[ValidationRecord]
    mechanisms: dict[str, int]
    phi: dict[str, dict[str, float]]
    resolution: dict[str, dict[str, ResolutionLevel]]
    consistency: ConsistencyReport | None
    presentation: list[str]
    prophecies: list[Prophecy]
    portal: PortalRecord
    branches: list[dict[str, str]]
    usage: dict[str, Any]


class ServerState(ServerInput, ServerOutput, total=False):
    """The server graph's state: the request, then the run (each key written once)."""


class _Loaded(TypedDict):
    scenario: Scenario
    seed: int


_OUTPUT_KEYS = frozenset(ServerOutput.__annotations__)

Emit = Callable[[Any], None]


def shipped_template_ids() -> frozenset[str]:
    """Ids of the templates shipped with the package (the only ``template`` values accepted:
    a server never reads a file path sent by a caller)."""
    root = resources.files("daedalus.templates")
    return frozenset(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def _scenario_of(request: Mapping[str, Any]) -> Scenario:
    template, text = request.get("template"), request.get("yaml")
    if (template is None) == (text is None):
        raise ConfigError("send exactly one of 'template' (a shipped template id) or 'yaml'")
    if text is not None:
        if not isinstance(text, str):
            raise ConfigError(f"'yaml' must be template text, got {type(text).__name__}")
        return parse_template(text, source="<yaml input>")
    shipped = shipped_template_ids()
    if template not in shipped:
        known = ", ".join(sorted(shipped))
        raise TemplateError(f"no shipped template {template!r}; send 'yaml' or one of {known}")
    return load_template(str(template))


@dataclass(frozen=True)
class ScenarioLoader:
    """The input node of ``mode``'s server graph: the validated scenario and the seed."""

    mode: TemporalMode

    def __call__(self, state: ServerInput) -> dict[str, Any]:
        scenario = _scenario_of(state)
        if scenario.mode is not self.mode:
            raise ConfigError(
                f"scenario {scenario.id!r} is a {scenario.mode.value} scenario; run it on the "
                f"{scenario.mode.value!r} graph, not {self.mode.value!r}"
            )
        seed = state.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"'seed' must be an integer, got {seed!r}")
        return {"scenario": scenario, "seed": seed}


def _context_for(
    given: object, scenario: Scenario, seed: int
) -> tuple[RunContext, bool]:
    """The run context and whether this graph built (and so must close) its router."""
    if isinstance(given, RunContext):
        return given, False
    if given is None:
        given = ServerContext()
    if not isinstance(given, ServerContext):
        raise ConfigError(
            f"context must be a ServerContext mapping or a RunContext, got {type(given).__name__}"
        )
    choice = build_router(
        model=given.model,
        base_url=given.base_url,
        seed=seed,
        budget_usd=given.budget_usd,
        budget_mode=given.budget_mode or scenario.fidelity.budget_mode,
        concurrency=given.concurrency,
        offline_latency=0.0,
        cache=InMemoryResponseCache(),
        ledger=Ledger(),
    )
    context = RunContext(
        router=choice.router, seed=seed, quality_threshold=given.quality_threshold
    )
    return context, True


async def _drive(scenario: Scenario, context: RunContext, emit: Emit) -> dict[str, Any]:
    app = build_graph(scenario.mode).compile(checkpointer=memory_checkpointer())
    limit = recursion_limit_for(scenario)
    config: RunnableConfig = {"configurable": {"thread_id": _THREAD}, "recursion_limit": limit}
    async for chunk in app.astream(
        {"scenario": scenario}, config, context=context, stream_mode="custom"
    ):
        emit(chunk)
    values = dict((await app.aget_state(config)).values)
    plan: list[BranchSpec] = values.get("branch_plan") or []
    for spec in plan:
        emit({"event": "branch", "id": spec.id, "fork": spec.fork_timepoint})
        seeded, final = await fork_branch(
            app, config, spec, context=context, recursion_limit=limit, progress=emit
        )
        values = merge_branch(values, seeded, final, spec)
    return values


async def _isolated(scenario: Scenario, context: RunContext, emit: Emit) -> dict[str, Any]:
    """``_drive`` in a fresh ``contextvars`` context: the mode graph runs as a top-level graph
    on its own thread, not as a subgraph of the server graph (its checkpoints must stay
    readable for BRANCHING forks). Its progress events come back through a queue, because the
    caller's stream writer only works in the caller's context."""
    queue: asyncio.Queue[object] = asyncio.Queue()
    done = object()

    async def drive() -> dict[str, Any]:
        try:
            return await _drive(scenario, context, queue.put_nowait)
        finally:
            queue.put_nowait(done)

    task = asyncio.create_task(drive(), context=contextvars.Context())
    try:
        while (item := await queue.get()) is not done:
            emit(item)
        return await task
    finally:
        if not task.done():
            task.cancel()


async def _simulate(state: _Loaded, runtime: Runtime[Any]) -> dict[str, Any]:
    scenario, seed = state["scenario"], state["seed"]
    context, owned = _context_for(runtime.context, scenario, seed)
    try:
        values = await _isolated(scenario, context, runtime.stream_writer)
    finally:
        if owned:
            context.router.close()
    ledger = context.router.ledger
    selections = sum(1 for row in ledger.records if row.selected)
    if selections:  # M18 chooses models in the router, outside the graph state: count it here
        values["mechanisms"] = add_counts(values.get("mechanisms", {}), {"M18": selections})
    values["usage"] = {"offline": context.router.is_offline, **ledger.summary()}
    return {key: value for key, value in values.items() if key in _OUTPUT_KEYS}


def build_server_graph(
    mode: TemporalMode | str,
) -> StateGraph[ServerState, ServerContext, ServerInput, ServerOutput]:
    """The uncompiled server graph of ``mode`` (see the module docstring)."""
    try:
        key = TemporalMode(mode)
    except ValueError:
        modes = ", ".join(m.value for m in TemporalMode)
        raise ConfigError(f"unknown temporal mode {mode!r}; expected one of {modes}") from None
    graph = StateGraph(
        ServerState,
        context_schema=ServerContext,
        input_schema=ServerInput,
        output_schema=ServerOutput,
    )
    graph.add_node(LOAD_NODE, ScenarioLoader(key), input_schema=ServerInput)
    graph.add_node(SIMULATE_NODE, _simulate)
    graph.add_edge(START, LOAD_NODE)
    graph.add_edge(LOAD_NODE, SIMULATE_NODE)
    graph.add_edge(SIMULATE_NODE, END)
    return graph


ServerGraph = CompiledStateGraph[ServerState, ServerContext, ServerInput, ServerOutput]

pearl: ServerGraph = build_server_graph(TemporalMode.PEARL).compile(name="pearl")
portal: ServerGraph = build_server_graph(TemporalMode.PORTAL).compile(name="portal")
branching: ServerGraph = build_server_graph(TemporalMode.BRANCHING).compile(name="branching")
cyclical: ServerGraph = build_server_graph(TemporalMode.CYCLICAL).compile(name="cyclical")
directorial: ServerGraph = build_server_graph(TemporalMode.DIRECTORIAL).compile(
    name="directorial"
)
nonlinear: ServerGraph = build_server_graph(TemporalMode.NONLINEAR).compile(name="nonlinear")

GRAPHS: dict[str, ServerGraph] = {
    "pearl": pearl,
    "portal": portal,
    "branching": branching,
    "cyclical": cyclical,
    "directorial": directorial,
    "nonlinear": nonlinear,
}
"""Every exported graph by the name ``langgraph.json`` gives it."""
