"""The model: the registry of versions, the scorer that serves one, its explanation.

:mod:`~matcher.model.registry` stores and checks versions; :mod:`~matcher.model.scorer`
scores pairs with one (through :mod:`~matcher.model.linear` when the model is additive);
:mod:`~matcher.model.explanation` measures the reasons behind a score;
:mod:`~matcher.model.gate` decides whether a version may replace the active one.
"""
