"""Training side of matcher: synthetic worlds, history preparation and model fitting.

``training`` depends on :mod:`matcher`, never the other way round (the CLI
imports it lazily).
"""
