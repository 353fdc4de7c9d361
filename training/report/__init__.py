"""The model card of a model version: ``report.md`` plus PNG plots.

:func:`write_model_card` writes the card (Mitchell et al., 2019) from the
``manifest`` and ``metrics`` dictionaries written by ``matcher train``.
Modules: :mod:`~training.report.card` assembles and writes it,
:mod:`~training.report.overview`, :mod:`~training.report.performance`,
:mod:`~training.report.ground_truth` and :mod:`~training.report.ethics` write
its sections, :mod:`~training.report.plots` draws its figures and
:mod:`~training.report.format` reads and formats the values they show.
"""

from __future__ import annotations

from training.report.card import write_model_card

__all__ = ["write_model_card"]
