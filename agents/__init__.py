"""Mechanism nodes that call a model, one mechanism per module (``daedalus.agents``)."""

__all__: list[str] = []
