"""Pure mechanism math: fidelity, ADPRS, circadian, tensors, persona, relations, animism, embodied,
strategy, dialog values, narrative time, the cast, entity gaps and the temporal rules (M17).
May import daedalus.domain, errors, scenario and provenance only: no langgraph, no model, no I/O.

Every function takes plain values and returns plain values; randomness comes from a seeded
``numpy.random.Generator`` passed in. The one file read is ``roster.load_profile``, which loads
the entity profiles shipped in ``daedalus.profiles``.
"""
