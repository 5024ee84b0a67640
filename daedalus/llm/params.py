"""Sampling parameters sent with every model call.

``SamplingParams`` is a plain value defined with the persona kernel (M6), which derives a
speaker's parameters from its state; the model layer sends them.
"""

from __future__ import annotations

from daedalus.kernel.persona import SamplingParams

__all__ = ["SamplingParams"]
