"""Data: the model registry (``models.yaml``), entity profiles and archetypes."""
