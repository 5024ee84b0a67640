"""What a model call is for (action types) and what a model can do (capabilities), M18.

Every node declares one ``ActionType``; the selector matches it against the
``Capability`` set of each registered model.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionType", "Capability"]


class ActionType(StrEnum):
    """The 16 kinds of model call a node can make."""

    ENTITY_POPULATION = "entity_population"
    DIALOG_SYNTHESIS = "dialog_synthesis"
    TEMPORAL_REASONING = "temporal_reasoning"
    COUNTERFACTUAL_PREDICTION = "counterfactual_prediction"
    KNOWLEDGE_VALIDATION = "knowledge_validation"
    SCENE_GENERATION = "scene_generation"
    RELATIONSHIP_ANALYSIS = "relationship_analysis"
    PROSPECTION = "prospection"
    ANIMISTIC_BEHAVIOR = "animistic_behavior"
    PORTAL_BACKWARD_REASONING = "portal_backward_reasoning"
    PORTAL_PATH_SCORING = "portal_path_scoring"
    CONFIG_GENERATION = "config_generation"
    TENSOR_COMPRESSION = "tensor_compression"
    VALIDATION = "validation"
    SUMMARIZATION = "summarization"
    GENERAL = "general"


class Capability(StrEnum):
    """The 15 capability dimensions a model can be registered with."""

    STRUCTURED_JSON = "structured_json"
    LONG_FORM_TEXT = "long_form_text"
    DIALOG_GENERATION = "dialog_generation"
    MATHEMATICAL = "mathematical"
    LOGICAL_REASONING = "logical_reasoning"
    CAUSAL_REASONING = "causal_reasoning"
    TEMPORAL_REASONING = "temporal_reasoning"
    LARGE_CONTEXT = "large_context"
    VERY_LARGE_CONTEXT = "very_large_context"
    FAST_INFERENCE = "fast_inference"
    COST_EFFICIENT = "cost_efficient"
    HIGH_QUALITY = "high_quality"
    CREATIVE = "creative"
    ANALYTICAL = "analytical"
    INSTRUCTION_FOLLOWING = "instruction_following"
