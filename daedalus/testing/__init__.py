"""Test kit: scripted models and fixtures for testing nodes without a network."""

__all__: list[str] = []
