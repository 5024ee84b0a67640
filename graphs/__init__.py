"""Graph builders: the dialog subgraph and one graph per temporal mode (``daedalus.graphs``)."""

__all__: list[str] = []
