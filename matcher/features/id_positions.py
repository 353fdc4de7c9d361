"""Ids to positions and codes, fast for a handful of rows and for millions.

Serving one recommendation looks a few hundred ids up in small tables many
times; batch scoring looks millions up at once. A dict wins the first (pandas'
per-call cost is ~0.1 ms), a pandas hash index the second, so :class:`Lookup`
picks by size. Both answer -1 for an unknown id (``None`` and ``""`` included).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

SMALL: Final = 4096
"""Below this many values a dict is faster than ``pandas.Index.get_indexer``."""


class Lookup:
    """Map ids to their positions in ``ids``.

    Examples
    --------
    >>> Lookup(["a", "b"]).positions(["b", "z", None])
    array([ 1, -1, -1])
    """

    def __init__(self, ids: Iterable[Any]) -> None:
        self._ids = list(ids)
        self._positions = {v: i for i, v in enumerate(self._ids)}
        # dtype=object: pandas 3 would infer Arrow strings and convert every
        # looked-up array to Arrow first.
        self._index = pd.Index(self._ids, dtype=object)

    def __len__(self) -> int:
        return len(self._ids)

    def positions(self, values: Any) -> NDArray[np.intp]:
        """Position of each value, -1 where unknown."""
        array = np.asarray(values, dtype=object)
        if len(array) < SMALL:
            get = self._positions.get
            return np.fromiter((get(v, -1) for v in array), dtype=np.intp, count=len(array))
        return np.asarray(self._index.get_indexer(pd.Index(array, dtype=object)), dtype=np.intp)


def factorize(values: Any) -> tuple[NDArray[np.intp], list[Any]]:
    """Codes and distinct values in order of appearance (``pandas.factorize``, fast when small)."""
    array = np.asarray(values, dtype=object)
    if len(array) < SMALL:
        seen: dict[Any, int] = {}
        codes = np.fromiter(
            (seen.setdefault(v, len(seen)) for v in array), dtype=np.intp, count=len(array)
        )
        return codes, list(seen)
    codes_pd, uniques = pd.factorize(array, use_na_sentinel=False)
    return np.asarray(codes_pd, dtype=np.intp), list(uniques)
