"""matcher: which income-generating project suits each person leaving prison."""

from matcher.domain import EducationLevel, Experience, HealthConstraint, Milieu, Profile, Sex
from matcher.errors import MatcherError
from matcher.reference import Reference, load_reference

__all__ = [
    "EducationLevel",
    "Experience",
    "HealthConstraint",
    "MatcherError",
    "Milieu",
    "Profile",
    "Reference",
    "Sex",
    "load_reference",
]
