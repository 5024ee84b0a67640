"""Every error Daedalus raises on purpose.

The tree::

    DaedalusError                  base of everything below
    ├── ConfigError                bad user input (a file, a field, a value); CLI exit code 2
    │   ├── TemplateError          a scenario template that does not validate
    │   └── RegistryError          a model registry entry that does not validate
    ├── ProvenanceError            a provenance query or log that breaks the causal rules (M3, M7)
    │   └── UnknownTimepointError  a timepoint id the timeline does not hold
    ├── TensorError                a tensor of the wrong shape, or a compression not yet fitted (M6)
    ├── ModelError                 a model call that failed for good; the run stays resumable
    │   ├── ModelRequestError      rejected at once (HTTP 400/401/403): fix the request or the key
    │   ├── ModelUnavailableError  every model of the fallback chain failed after retries
    │   ├── ModelOutputError       output that stayed malformed or schema-invalid after re-asks
    │   ├── OutOfCreditError       HTTP 402: the account has no credit left
    │   └── NetworkBlockedError    a test tried to reach a real model over the network
    ├── BudgetExceededError        a hard budget refused a call; the run stays resumable
    ├── StateConflictError         a graph state update that contradicts what a log recorded
    ├── InvariantError             a world tick that broke an invariant (money, goods, budgets)
    └── RunError                   a run that cannot be found, resumed or branched
        └── RunBusyError           another process holds the run's lease

Messages are one line a user can act on: what was wrong, where, and what was expected.
"""

from __future__ import annotations

__all__ = [
    "BudgetExceededError",
    "ConfigError",
    "DaedalusError",
    "InvariantError",
    "ModelError",
    "ModelOutputError",
    "ModelRequestError",
    "ModelUnavailableError",
    "NetworkBlockedError",
    "OutOfCreditError",
    "ProvenanceError",
    "RegistryError",
    "RunBusyError",
    "RunError",
    "StateConflictError",
    "TemplateError",
    "TensorError",
    "UnknownTimepointError",
]


class DaedalusError(Exception):
    """Base class of every error raised on purpose by Daedalus."""


class ConfigError(DaedalusError, ValueError):
    """Bad user input: a file, a field or a value that is not what was expected."""


class TemplateError(ConfigError):
    """A scenario template that does not validate (names the file and the field path)."""


class RegistryError(ConfigError):
    """A model registry entry that does not validate (names the file and the model)."""


class ProvenanceError(DaedalusError):
    """A provenance query or exposure log that breaks the causal rules (M3, M7)."""


class UnknownTimepointError(ProvenanceError, KeyError):
    """A timepoint id that the timeline does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else "unknown timepoint"


class TensorError(DaedalusError, ValueError):
    """A tensor of the wrong shape, or a compression used before it was fitted (M6)."""


class ModelError(DaedalusError):
    """A model call that failed for good. The run that made it stays resumable."""


class ModelRequestError(ModelError):
    """The provider rejected the request outright (HTTP 400, 401 or 403)."""


class ModelUnavailableError(ModelError):
    """Every model of the fallback chain failed after its retries."""


class ModelOutputError(ModelError):
    """The model's output stayed malformed or schema-invalid after every re-ask."""


class OutOfCreditError(ModelError):
    """HTTP 402: the provider account is out of credit. Top up, then resume the run."""


class NetworkBlockedError(ModelError):
    """A test tried to reach a real model over the network; use the offline or a scripted model."""


class BudgetExceededError(DaedalusError):
    """A hard budget refused a call whose worst case would cross the cap; resume with more."""


class StateConflictError(DaedalusError):
    """A state update that contradicts an append-only log (same id, different content)."""


class InvariantError(DaedalusError):
    """A world tick broke an invariant (a stock below zero, money or goods not conserved, a
    budget identity off); the message lists what broke at which tick."""


class RunError(DaedalusError):
    """A run that cannot be found, resumed or branched."""


class RunBusyError(RunError):
    """Another live process holds the run's lease (it is running, resuming or branching it)."""
