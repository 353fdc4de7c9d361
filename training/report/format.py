"""Reading and formatting the model card's values: numbers, tables, labels and links.

The ``manifest`` and ``metrics`` dictionaries come from JSON and may lack any
entry or hold a value of the wrong type. The ``as_*`` readers turn such values
into an empty container or None, and the ``fmt_*`` writers show them as
"not available" (missing) or "n/a" (present but not a finite number), so that a
card is always written.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Final

NA: Final = "not available"
RATE_KEYS: Final = frozenset({"observed_rate", "mean_score"})
COUNT_KEYS: Final = frozenset({"n", "n_rows", "n_train", "n_test", "n_rejected"})
SEX_LABELS: Final = {"F": "Women", "M": "Men"}
GROUPING_LABELS: Final = {"sex": "Sex", "age_band": "Age band", "milieu": "Milieu"}


# --------------------------------------------------------------------------- readers


def as_number(value: Any) -> float | None:
    """``value`` as a finite float, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def as_interval(value: Any) -> tuple[float | None, float | None] | None:
    """A (lo, hi) interval as two optional floats; None when not an interval."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return None
    return as_number(value[0]), as_number(value[1])


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_records(value: Any) -> list[dict[str, Any]]:
    """The dict items of ``value`` if it is a list."""
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, dict)]


def holdout_by_group(metrics: dict[str, Any]) -> dict[str, Any]:
    """The held-out metrics per grouping (``metrics["holdout"]["by_group"]``), or {}."""
    return as_dict(as_dict(metrics.get("holdout")).get("by_group"))


# --------------------------------------------------------------------------- numbers


def fmt_number(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals; "n/a" when missing or not finite."""
    if value is None:
        return NA
    number = as_number(value)
    if number is None:
        return "n/a" if isinstance(value, (int, float)) else cell(value)
    return f"{number:.{digits}f}"


def fmt_count(value: Any) -> str:
    """A count with thousands separators."""
    number = as_number(value)
    if number is None:
        return NA
    return f"{round(number):,}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share (0-1) as a percentage."""
    number = as_number(value)
    if number is None:
        return NA if value is None else "n/a"
    return f"{100 * number:.{digits}f} %"


def fmt_metric(key: str, value: Any) -> str:
    """Format one metric by its kind (count, rate or score)."""
    if key in COUNT_KEYS:
        return fmt_count(value)
    if key in RATE_KEYS:
        return fmt_pct(value)
    return fmt_number(value)


def fmt_ci(value: Any) -> str:
    """A (lo, hi) interval as "[lo, hi]"."""
    pair = as_interval(value)
    if pair is None:
        return NA
    lo, hi = pair
    if lo is None or hi is None:
        return "n/a"
    return f"[{lo:.3f}, {hi:.3f}]"


# --------------------------------------------------------------------------- Markdown


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def image_link(plots: Mapping[str, bool], name: str, alt: str) -> str:
    """A Markdown image link, or a "not available" note."""
    if plots.get(name):
        return f"![{alt}]({name})"
    return f"*Plot not available ({alt.lower()}).*"


# --------------------------------------------------------------------------- labels


def plot_label(value: Any, limit: int = 40) -> str:
    """A plot label the default font can draw (ASCII, truncated)."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    text = text.strip() or "?"
    return text if len(text) <= limit else text[: limit - 1] + "~"


def sex_label(sex: Any) -> str:
    """The reader's name of a sex code ("F" -> "Women"); other codes as they are."""
    return SEX_LABELS.get(str(sex), str(sex))


def group_label(grouping: str, group: Any) -> str:
    """The name of one ``group`` of a ``grouping`` (sex codes spelt out)."""
    return sex_label(group) if grouping == "sex" else str(group)
