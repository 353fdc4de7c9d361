"""Shared pieces of the wire schemas: strictness, id patterns and field types."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from matcher.contract.free_text import VISIBLE_PATTERN, clean_free_text
from matcher.errors import MatcherError
from matcher.service import MAX_TOP_K

STRICT = ConfigDict(strict=True, extra="forbid")
DIAGNOSIS_ID_PATTERN = r"^[0-9a-f]{32}$"
MODEL_VERSION_PATTERN = r"^\d{8}T\d{6}Z-[0-9a-f]{6}$"


def _whole_float_to_int(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeInt = Annotated[int, BeforeValidator(_whole_float_to_int)]
"""An integer that also accepts ``84.0`` (JSON Schema's integer), never ``"84"``."""

Education = Literal["none", "primary", "lower_secondary", "upper_secondary", "higher"]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K), BeforeValidator(_whole_float_to_int)]


def _clean_text(value: str) -> str:
    try:
        return clean_free_text(value)
    except MatcherError as exc:
        raise ValueError(exc.message) from None


FreeText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1000,
        pattern=VISIBLE_PATTERN,
        description="1-1000 characters with at least one visible one; control and invisible "
        "formatting characters (bidi overrides, zero-width) are removed",
    ),
    AfterValidator(_clean_text),
]
"""Free text a person types (reasons): cleaned by :func:`clean_free_text`."""
