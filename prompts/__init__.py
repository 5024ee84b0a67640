"""Prompt templates, one plain-text file per node, loaded through ``importlib.resources``."""
