"""The world loop as a LangGraph graph (PANARCHY 6.5): ticks, actors deciding in parallel, the gate.

::

    START -> tick --(a decision tick)--> decide x N (Send, one per actor due) -> gate -> tick
               \\--(otherwise)--> tick ... -> END after ``ticks`` ticks

``tick`` applies the actions the gate accepted (sorted by actor and verb) and a day of the
banks' standing policies at the tick boundary, then steps the world. On a cadence tick every
due actor gets a ``decide`` task (``Send``): it observes the actor and asks the provider for
that actor alone, so a model-backed provider's calls for one tick run in parallel. ``gate``
reviews the tick's proposals in the fixed actor order, falls back to the rules for an actor
with a rejection, and queues what passed for the next boundary. These are the steps
``ActorWorld.step`` runs, so the graph gives the same digests for the same seed and provider.

The ``World``, the provider and the gate live in the runtime context (``WorldLoopContext``),
never in the state: the state is small and JSON-safe (the tick, the queued actions, the
standing policies, the digests and the decision log). A graph run with
``ReplayProvider(output["log"])`` repeats every digest without calling a model.
"""


import operator
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, runtime_checkable

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from daedalus.errors import ConfigError
from daedalus.world.actors import ActorWorld, DecisionProvider, Observation, SafetyGate
from daedalus.world.actors.gate import Action
from daedalus.world.actors.loop import jsonable
from daedalus.world.world import World

__all__ = [
    "DECIDE_NODE",
    "GATE_NODE",
    "TICK_NODE",
    "WorldLoopContext",
    "WorldLoopInput",
    "WorldLoopState",
    "build_world_loop_graph",
    "recursion_limit",
    "run_world_loop",
    "world_loop",
]

TICK_NODE = "tick"
DECIDE_NODE = "decide"
GATE_NODE = "gate"


@dataclass
class WorldLoopContext:
    """The world, its provider and its gate for one run of the loop (see ``ActorWorld`` for
    ``cadence``, ``governments``, ``firms`` and ``banks``)."""

    world: World
    provider: DecisionProvider | None = None
    cadence: int = 30
    gate: SafetyGate | None = None
    governments: list[int] | None = None
    firms: int = 0
    banks: bool = False
    _engine: ActorWorld | None = field(default=None, init=False, repr=False)

    @property
    def engine(self) -> ActorWorld:
        """The actors' steps over ``world`` (built once; holds no run state of its own)."""
        if self._engine is None:
            self._engine = ActorWorld(
                self.world, self.provider, cadence=self.cadence, gate=self.gate,
                actors=self.governments, firms=self.firms, banks=self.banks,
            )
        return self._engine


def _collect(old: dict[str, list[Any]], new: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Proposals by actor: the decide tasks add theirs; an empty update clears them."""
    return {**old, **new} if new else {}


class WorldLoopInput(TypedDict):
    """How many ticks to run."""

    ticks: int


class WorldLoopState(TypedDict, total=False):
    """The loop's state: JSON-safe, no world in it."""

    ticks: int
    done: int
    tick: int
    pending: list[dict[str, Any]]
    standing: dict[str, float]
    proposals: Annotated[dict[str, list[Any]], _collect]
    digests: Annotated[list[str], operator.add]
    log: Annotated[list[dict[str, Any]], operator.add]


class _DecideTask(TypedDict):
    actor: str
    tick: int
    ask: bool


@runtime_checkable
class _Allotting(Protocol):
    """A provider with call limits (``LLMProvider``): the tick allots its calls in actor order
    before the fan-out, so the limits hold however the decide tasks are scheduled."""

    def allot(self, count: int) -> int: ...

    def decide_one(self, observation: Observation, ask: bool) -> list[Any]: ...


def _context(runtime: Runtime[WorldLoopContext]) -> WorldLoopContext:
    context = runtime.context
    if not isinstance(context, WorldLoopContext):
        raise ConfigError(
            f"the world loop needs a WorldLoopContext as its context, got {type(context).__name__}"
        )
    return context


def tick(state: WorldLoopState, runtime: Runtime[WorldLoopContext]) -> dict[str, Any]:
    """Apply the queued actions and the standing policies, then step the world one tick."""
    engine = _context(runtime).engine
    expected = state.get("tick", engine.world.tick)
    if engine.world.tick != expected:
        raise ConfigError(f"the context's world is at tick {engine.world.tick}, the loop's "
                          f"state at tick {expected}: give each run a fresh world")
    standing = dict(state.get("standing", {}))
    pending = [Action.model_validate(a) for a in state.get("pending", [])]
    entries = engine.boundary(pending, standing)
    record = engine.world.step()
    return {"tick": record["tick"], "done": state.get("done", 0) + 1, "pending": [],
            "standing": standing, "digests": [record["digest"]], "log": entries}


def decide(state: _DecideTask, runtime: Runtime[WorldLoopContext]) -> dict[str, Any]:
    """One actor's proposals for this tick, from the provider (asked for that actor alone)."""
    context = _context(runtime)
    observation = context.engine.observe(state["actor"])
    provider = context.engine.provider
    if isinstance(provider, _Allotting):
        proposals = provider.decide_one(observation, state["ask"])
    else:
        proposals = provider.propose(state["tick"], [observation])
    return {"proposals": {state["actor"]: [jsonable(p) for p in proposals]}}


def gate(state: WorldLoopState, runtime: Runtime[WorldLoopContext]) -> dict[str, Any]:
    """Review the tick's proposals in actor order; queue the accepted and fallback actions."""
    engine = _context(runtime).engine
    at = state["tick"]
    due = engine.due(at)
    by_actor = state.get("proposals", {})
    entries: list[dict[str, Any]] = []
    proposals: list[Any] = []
    for actor in due:
        for raw in by_actor.get(actor, []):
            entries.append({"tick": at, "kind": "proposal", "provider": engine.provider.name,
                            "actor": actor, "proposal": raw})
            proposals.append(raw)
    observations = {actor: engine.observe(actor) for actor in due}
    pending, judged = engine.judge(at, observations, proposals, dict(state.get("standing", {})))
    return {"pending": [a.model_dump() for a in pending], "proposals": {},
            "log": entries + judged}


def _after_tick(state: WorldLoopState, runtime: Runtime[WorldLoopContext]) -> Any:
    provider = _context(runtime).engine.provider
    due = sorted(_context(runtime).engine.due(state["tick"]))
    if due:
        asked = provider.allot(len(due)) if isinstance(provider, _Allotting) else len(due)
        return [Send(DECIDE_NODE, _DecideTask(actor=a, tick=state["tick"], ask=i < asked))
                for i, a in enumerate(due)]
    return _next(state)


def _next(state: WorldLoopState) -> str:
    return TICK_NODE if state.get("done", 0) < state["ticks"] else END


def build_world_loop_graph() -> StateGraph[
    WorldLoopState, WorldLoopContext, WorldLoopInput, WorldLoopState
]:
    """The uncompiled world-loop graph (see the module docstring)."""
    graph = StateGraph(WorldLoopState, context_schema=WorldLoopContext,
                       input_schema=WorldLoopInput)
    graph.add_node(TICK_NODE, tick)
    graph.add_node(DECIDE_NODE, decide, input_schema=_DecideTask)
    graph.add_node(GATE_NODE, gate)
    graph.add_edge(START, TICK_NODE)
    graph.add_conditional_edges(TICK_NODE, _after_tick, [DECIDE_NODE, TICK_NODE, END])
    graph.add_edge(DECIDE_NODE, GATE_NODE)
    graph.add_conditional_edges(GATE_NODE, _next, [TICK_NODE, END])
    return graph


def recursion_limit(ticks: int, cadence: int) -> int:
    """Supersteps ``ticks`` ticks take: one a tick, two more on each decision tick."""
    return ticks + 2 * (ticks // cadence + 1) + 5


def run_world_loop(context: WorldLoopContext, ticks: int) -> dict[str, Any]:
    """Run the compiled ``world_loop`` graph ``ticks`` ticks over ``context``; its final state."""
    if ticks < 1:
        raise ValueError(f"ticks must be at least 1, got {ticks}")
    config: RunnableConfig = {"recursion_limit": recursion_limit(ticks, context.cadence)}
    result: dict[str, Any] = world_loop.invoke({"ticks": ticks}, config, context=context)
    return result


world_loop: CompiledStateGraph[WorldLoopState, WorldLoopContext, WorldLoopInput, WorldLoopState]
world_loop = build_world_loop_graph().compile(name="world_loop")
