"""TTM tensors (M6): an entity as three vectors, compressed across the population.

At TENSOR_ONLY resolution an entity is a ``TTMTensor``: a context block (what it knows, 64
values), a biology block (body and arousal, 16 values) and a behaviour block (personality, 32
values). ``build_baseline_tensor`` derives them deterministically from the entity, its state and
its knowledge; ``with_cognitive`` refreshes the biology block at each timepoint.

``TensorCompressor`` fits one PCA per block over a population (SVD of the centred data) and
keeps 8 / 4 / 8 components: ``compress`` turns a tensor into a ``CompressedTensor`` of 20
floats and ``expand`` re-expands it when a query needs the entity at higher fidelity. Every
value here is plain JSON (tuples of floats), so graph state and checkpoints hold no numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from daedalus.domain import CognitiveState, Entity, PhysicalState
from daedalus.errors import TensorError
from daedalus.kernel._featurize import (
    BEHAVIOR_AXES,
    BEHAVIOR_DIM,
    BIOLOGY_DIM,
    BIOLOGY_FEATURES,
    CONTEXT_DIM,
    behavior_features,
    biology_features,
    context_features,
)

__all__ = [
    "BEHAVIOR_AXES",
    "BIOLOGY_FEATURES",
    "BLOCK_DIMS",
    "COMPRESSED_DIMS",
    "BlockBasis",
    "BlockName",
    "CompressedTensor",
    "FittedCompression",
    "TTMTensor",
    "TensorCompressor",
    "build_baseline_tensor",
    "fit_compression",
    "with_cognitive",
]

BlockName = Literal["context", "biology", "behavior"]
_BLOCKS: tuple[BlockName, ...] = ("context", "biology", "behavior")

BLOCK_DIMS: dict[BlockName, int] = {
    "context": CONTEXT_DIM,
    "biology": BIOLOGY_DIM,
    "behavior": BEHAVIOR_DIM,
}
"""Full length of each block of a ``TTMTensor``."""

COMPRESSED_DIMS: dict[BlockName, int] = {"context": 8, "biology": 4, "behavior": 8}
"""Length of each block of a ``CompressedTensor``."""

_Vector = tuple[float, ...]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _block_array(name: str, values: ArrayLike, expected: int) -> NDArray[np.float64]:
    """``values`` as a 1-D float64 vector of length ``expected``, or a TensorError naming it."""
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (expected,):
        message = f"{name} block must be a 1-D vector of {expected} floats, got shape {array.shape}"
        raise TensorError(message)
    if not np.all(np.isfinite(array)):
        raise TensorError(f"{name} block holds a NaN or infinite value")
    return array


def _check_lengths(model: BaseModel, dims: dict[BlockName, int]) -> None:
    for name, expected in dims.items():
        found = len(getattr(model, name))
        if found != expected:
            raise ValueError(f"{name} block must hold {expected} floats, got {found}")


def _as_vector(array: NDArray[np.floating]) -> _Vector:
    return tuple(array.astype(np.float32).tolist())


class TTMTensor(_Frozen):
    """An entity as three full vectors (M6). Arrays come from the ``*_array`` accessors.

    Constructing one with a block of the wrong length fails validation with a message naming
    the block; ``from_arrays`` raises ``TensorError`` for wrong shapes.
    """

    context: _Vector
    biology: _Vector
    behavior: _Vector

    @model_validator(mode="after")
    def _full_lengths(self) -> Self:
        _check_lengths(self, BLOCK_DIMS)
        return self

    @classmethod
    def from_arrays(cls, *, context: ArrayLike, biology: ArrayLike, behavior: ArrayLike) -> Self:
        """A tensor from three vectors (stored as float32 values); TensorError on a bad shape."""
        blocks = {"context": context, "biology": biology, "behavior": behavior}
        arrays = {name: _block_array(name, blocks[name], BLOCK_DIMS[name]) for name in _BLOCKS}
        return cls(**{name: _as_vector(array) for name, array in arrays.items()})

    def block(self, name: BlockName) -> NDArray[np.float32]:
        """One block as a float32 array."""
        if name not in BLOCK_DIMS:
            raise TensorError(f"unknown tensor block {name!r}; expected one of {_BLOCKS}")
        return np.asarray(getattr(self, name), dtype=np.float32)

    def context_array(self) -> NDArray[np.float32]:
        """Knowledge state: hashed knowledge words, role and identity, volume statistics."""
        return self.block("context")

    def biology_array(self) -> NDArray[np.float32]:
        """Body and arousal state, in the order of ``BIOLOGY_FEATURES``."""
        return self.block("biology")

    def behavior_array(self) -> NDArray[np.float32]:
        """Personality: ``BEHAVIOR_AXES`` first, then hashed trait identity."""
        return self.block("behavior")

    def as_array(self) -> NDArray[np.float32]:
        """The three blocks concatenated (112 values)."""
        return np.concatenate([self.block(name) for name in _BLOCKS])

    def behavior_axes(self) -> dict[str, float]:
        """The interpretable personality axes by name (0.5 is neutral)."""
        return dict(zip(BEHAVIOR_AXES, self.behavior, strict=False))

    def biology_feature(self, name: str) -> float:
        """One named biology value, such as ``"fatigue"``."""
        if name not in BIOLOGY_FEATURES:
            raise TensorError(
                f"unknown biology feature {name!r}; expected one of {BIOLOGY_FEATURES}"
            )
        return self.biology[BIOLOGY_FEATURES.index(name)]


class CompressedTensor(_Frozen):
    """A tensor reduced to 8 / 4 / 8 principal-component coefficients (M6)."""

    context: _Vector
    biology: _Vector
    behavior: _Vector

    @model_validator(mode="after")
    def _compressed_lengths(self) -> Self:
        _check_lengths(self, COMPRESSED_DIMS)
        return self

    @classmethod
    def from_arrays(cls, *, context: ArrayLike, biology: ArrayLike, behavior: ArrayLike) -> Self:
        """Coefficients from three vectors; TensorError on a bad shape."""
        blocks = {"context": context, "biology": biology, "behavior": behavior}
        return cls(
            **{
                name: tuple(_block_array(name, blocks[name], COMPRESSED_DIMS[name]).tolist())
                for name in _BLOCKS
            }
        )

    def block(self, name: BlockName) -> NDArray[np.float32]:
        """One block of coefficients as a float32 array."""
        return np.asarray(getattr(self, name), dtype=np.float32)


def build_baseline_tensor(
    entity: Entity,
    cognitive: CognitiveState,
    physical: PhysicalState,
    knowledge: Sequence[str],
) -> TTMTensor:
    """The entity's tensor from its traits, profile, state and knowledge (M6).

    Deterministic across processes; the order and duplication of knowledge items and traits do
    not matter. Entities with different ids always get different context blocks.
    """
    if isinstance(knowledge, str):
        raise TensorError("knowledge must be a sequence of strings, got a single string")
    return TTMTensor.from_arrays(
        context=context_features(entity, knowledge),
        biology=biology_features(cognitive, physical),
        behavior=behavior_features(entity),
    )


def with_cognitive(
    tensor: TTMTensor, cognitive: CognitiveState, physical: PhysicalState
) -> TTMTensor:
    """The same tensor with its biology block rebuilt from a new state (each timepoint)."""
    biology = biology_features(cognitive, physical)
    return TTMTensor(context=tensor.context, biology=_as_vector(biology), behavior=tensor.behavior)


class BlockBasis(_Frozen):
    """The fitted PCA of one block: mean, orthonormal components (rows) and their variances.

    ``components`` holds only directions that carry variance, so a population smaller than
    the target dimension yields fewer rows; the missing coefficients are always zero.
    Variances are per sample with ``n_samples - 1`` degrees of freedom (1 for a single sample).
    """

    block: BlockName
    mean: _Vector
    components: tuple[_Vector, ...]
    explained_variance: _Vector
    total_variance: float = Field(ge=0.0)
    n_samples: int = Field(ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        dim, target = BLOCK_DIMS[self.block], COMPRESSED_DIMS[self.block]
        if len(self.mean) != dim:
            raise ValueError(f"{self.block} mean must hold {dim} floats, got {len(self.mean)}")
        if len(self.components) > target:
            message = f"{self.block} basis holds {len(self.components)} components, max {target}"
            raise ValueError(message)
        if any(len(row) != dim for row in self.components):
            raise ValueError(f"every {self.block} component must hold {dim} floats")
        if len(self.explained_variance) != len(self.components):
            raise ValueError(f"{self.block} needs one explained variance per component")
        return self

    @property
    def rank(self) -> int:
        """How many components carry signal (at most the compressed dimension)."""
        return len(self.components)

    @property
    def discarded_variance(self) -> float:
        """Variance of the fitted population left outside the kept components."""
        return max(self.total_variance - sum(self.explained_variance), 0.0)

    @property
    def retained_ratio(self) -> float:
        """Share of the population variance the kept components explain (1.0 if none)."""
        if self.total_variance == 0.0:
            return 1.0
        return min(sum(self.explained_variance) / self.total_variance, 1.0)

    def project(self, values: NDArray[np.floating]) -> NDArray[np.float64]:
        """Coefficients of a full block vector, zero-padded to the compressed dimension."""
        vector = _block_array(self.block, values, BLOCK_DIMS[self.block])
        coefficients = np.zeros(COMPRESSED_DIMS[self.block], dtype=np.float64)
        if self.components:
            basis = np.asarray(self.components, dtype=np.float64)
            coefficients[: self.rank] = basis @ (vector - np.asarray(self.mean))
        return coefficients

    def reconstruct(self, coefficients: NDArray[np.floating]) -> NDArray[np.float64]:
        """The full block vector back from its coefficients (those past ``rank`` are unused)."""
        weights = _block_array(self.block, coefficients, COMPRESSED_DIMS[self.block])
        vector = np.asarray(self.mean, dtype=np.float64)
        if self.components:
            vector = vector + weights[: self.rank] @ np.asarray(self.components, dtype=np.float64)
        return vector


def _fit_block(name: BlockName, data: NDArray[np.float64]) -> BlockBasis:
    samples = data.shape[0]
    mean = data.mean(axis=0)
    centred = data - mean
    singular = np.linalg.svd(centred, compute_uv=False) if samples > 1 else np.zeros(0)
    # numerical rank as numpy's matrix_rank defines it: the rest is round-off, not signal
    tolerance = (singular.max() if singular.size else 0.0) * max(data.shape) * np.finfo(float).eps
    keep = min(int(np.count_nonzero(singular > tolerance)), COMPRESSED_DIMS[name])
    components = np.zeros((0, data.shape[1]))
    if keep:
        _, _, rows = np.linalg.svd(centred, full_matrices=False)
        components = rows[:keep]
        # fix each sign by its largest entry so a refit gives the same coefficients
        pivots = components[np.arange(keep), np.argmax(np.abs(components), axis=1)]
        components = components * np.sign(pivots)[:, None]
    dof = max(samples - 1, 1)
    return BlockBasis(
        block=name,
        mean=tuple(mean.tolist()),
        components=tuple(tuple(row.tolist()) for row in components),
        explained_variance=tuple((singular[:keep] ** 2 / dof).tolist()),
        total_variance=float((singular**2).sum() / dof),
        n_samples=samples,
    )


class FittedCompression(_Frozen):
    """The M6 compression fitted over one population; plain JSON, safe to keep in graph state."""

    context: BlockBasis
    biology: BlockBasis
    behavior: BlockBasis

    @model_validator(mode="after")
    def _blocks_in_place(self) -> Self:
        for name in _BLOCKS:
            if getattr(self, name).block != name:
                raise ValueError(f"the {name} slot holds a basis fitted for another block")
        return self

    def basis(self, name: BlockName) -> BlockBasis:
        """The fitted basis of one block."""
        basis: BlockBasis = getattr(self, name)
        return basis

    def compress(self, tensor: TTMTensor) -> CompressedTensor:
        """The tensor's 8 / 4 / 8 coefficients."""
        return CompressedTensor(
            **{
                name: tuple(self.basis(name).project(tensor.block(name)).tolist())
                for name in _BLOCKS
            }
        )

    def expand(self, compressed: CompressedTensor) -> TTMTensor:
        """The full tensor rebuilt from coefficients (exact for fitted members up to rank)."""
        return TTMTensor.from_arrays(
            **{name: self.basis(name).reconstruct(compressed.block(name)) for name in _BLOCKS}
        )

    def reconstruction_error(self, tensor: TTMTensor) -> float:
        """Relative L2 error of compress-then-expand over all 112 values (absolute if zero)."""
        original = tensor.as_array().astype(np.float64)
        rebuilt = self.expand(self.compress(tensor)).as_array().astype(np.float64)
        error = float(np.linalg.norm(original - rebuilt))
        norm = float(np.linalg.norm(original))
        return error / norm if norm > 0.0 else error


def fit_compression(tensors: Iterable[TTMTensor]) -> FittedCompression:
    """One PCA per block over the population (M6); any population of one or more tensors."""
    population = list(tensors)
    if not population:
        raise TensorError("fitting a compression needs at least one tensor, got none")
    for position, tensor in enumerate(population):
        if not isinstance(tensor, TTMTensor):
            found = type(tensor).__name__
            raise TensorError(f"fit expects TTMTensor values, got {found} at position {position}")
    bases = {
        name: _fit_block(name, np.stack([t.block(name) for t in population]).astype(np.float64))
        for name in _BLOCKS
    }
    return FittedCompression(**bases)


class TensorCompressor:
    """Fits the M6 compression once per population, then compresses and expands tensors.

    Keep ``fitted`` (a ``FittedCompression``) in graph state and rebuild the compressor with
    ``TensorCompressor(fitted)``; using an unfitted compressor raises ``TensorError``.
    """

    def __init__(self, fitted: FittedCompression | None = None) -> None:
        self._fitted = fitted

    @property
    def is_fitted(self) -> bool:
        return self._fitted is not None

    @property
    def fitted(self) -> FittedCompression:
        """The fitted compression; TensorError if ``fit`` was never called."""
        if self._fitted is None:
            raise TensorError("the tensor compressor is not fitted; call fit(tensors) first")
        return self._fitted

    def fit(self, tensors: Iterable[TTMTensor]) -> FittedCompression:
        """Fit on the population (replacing any earlier fit) and return the result."""
        self._fitted = fit_compression(tensors)
        return self._fitted

    def compress(self, tensor: TTMTensor) -> CompressedTensor:
        """The tensor's 8 / 4 / 8 coefficients."""
        return self.fitted.compress(tensor)

    def expand(self, compressed: CompressedTensor) -> TTMTensor:
        """The full tensor rebuilt from its coefficients."""
        return self.fitted.expand(compressed)

    def reconstruction_error(self, tensor: TTMTensor) -> float:
        """Relative L2 error of compress-then-expand, measured on this tensor."""
        return self.fitted.reconstruction_error(tensor)
