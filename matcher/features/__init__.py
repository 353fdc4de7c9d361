"""Pair features: what the model sees of one (person, project type) pair.

:class:`PairFeatureBuilder` (in :mod:`~matcher.features.builder`) is the first step
of every model pipeline; it composes the skill match (:mod:`~matcher.features.skill_match`),
the local market (:mod:`~matcher.features.local_market`) and the income records of types
and markets (:mod:`~matcher.features.income_records`). Feature names live in
:mod:`~matcher.features.names`; :mod:`~matcher.features.id_positions` maps ids to rows fast.

``PairFeatureBuilder`` and ``scale_block`` are re-exported here because model
versions saved before the package existed name them ``matcher.features.*`` in
their pickles (see ``tests/unit/matcher/test_saved_versions.py``).
"""

from matcher.features.builder import FeatureColumns, PairFeatureBuilder, scale_block

__all__ = ["FeatureColumns", "PairFeatureBuilder", "scale_block"]
