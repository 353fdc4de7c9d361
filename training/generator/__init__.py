"""Synthetic worlds for matcher: people leaving prison, funded projects, ground truth.

``generate_world`` draws a history of funded projects (chosen by a biased
counsellor policy), a new cohort, the cohort's ground truth and a cohort file
with planted errors; ``write_world`` writes them as CSV; ``true_probability``
is the ground truth itself. See ``data_samples/README.md``.
"""

from training.generator.truth import WorldParams, true_probability
from training.generator.world import World, describe_world, generate_world, write_world

__all__ = [
    "World",
    "WorldParams",
    "describe_world",
    "generate_world",
    "true_probability",
    "write_world",
]
