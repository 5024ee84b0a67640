"""The shipped world presets, one YAML file each, read through ``daedalus.world.load_preset``.
May import nothing: a data folder.
"""
