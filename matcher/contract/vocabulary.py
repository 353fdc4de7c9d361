"""The contract's vocabularies: education levels, sectors, demand and profile enums.

Sections 1 and 2 of ``CONTRACT.md`` fix these values; everything else names them from here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

EDUCATION_LEVELS: Final[tuple[str, ...]] = (
    "none",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "higher",
)
"""Education levels in increasing order (contract section 1)."""

SECTOR_IDS: Final[tuple[str, ...]] = (
    "catering",
    "crafts",
    "services",
    "commerce",
    "agriculture",
    "construction",
)
"""The six sectors of the contract."""

PHYSICAL_DEMANDS: Final[tuple[str, ...]] = ("low", "medium", "high")


class Sex(StrEnum):
    """Sex as recorded at diagnosis (audit only, never a model feature)."""

    F = "F"
    M = "M"


class Milieu(StrEnum):
    """Where the person lives."""

    URBAN = "urban"
    RURAL = "rural"


class EducationLevel(StrEnum):
    """Highest education level reached."""

    NONE = "none"
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"
    HIGHER = "higher"


class HealthConstraint(StrEnum):
    """A health limit that rules out heavy physical work."""

    NONE = "none"
    NO_HEAVY_WORK = "no_heavy_work"
