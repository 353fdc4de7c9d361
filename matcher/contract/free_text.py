"""Free text people type (decision reasons, notes): what is kept and what is refused.

Control characters (except tab and line breaks) and invisible formatting
characters (Unicode category Cf: bidi overrides and isolates, zero-width
spaces and joiners, the byte-order mark, soft hyphens...) are removed; text
that is empty or only blank once they are gone is refused. A bidi override
can make a reason read differently from what is stored, and a NUL byte or a
zero-width-only reason records nothing while looking like something.
"""

from __future__ import annotations

import re
from typing import Final

from matcher.errors import DecisionRuleError

INVISIBLE_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0x0000, 0x0008),
    (0x000B, 0x000C),
    (0x000E, 0x001F),
    (0x007F, 0x009F),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
"""Control (Cc, but tab, LF and CR) and format (Cf) characters, as of Unicode 15."""


def _escape(cp: int) -> str:
    return f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}"


INVISIBLE_CLASS: Final = "".join(
    _escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in INVISIBLE_RANGES
)
INVISIBLE: Final = re.compile(f"[{INVISIBLE_CLASS}]")
_BMP_CLASS: Final = "".join(
    _escape(a) if a == b else f"{_escape(a)}-{_escape(b)}"
    for a, b in INVISIBLE_RANGES
    if b <= 0xFFFF
)
VISIBLE_PATTERN: Final = f"[^\\s{_BMP_CLASS}]"
"""A JSON Schema ``pattern`` met by text with one visible character.

ECMA-262 patterns have no escape for characters past U+FFFF, so the few
invisible ones up there are left out of the pattern (they are still removed).
"""


def clean_free_text(text: str, *, field: str = "reason", max_length: int = 1000) -> str:
    """Remove invisible characters and surrounding blanks; refuse what is left empty.

    Parameters
    ----------
    text : str
    field : str
        Named in the error.
    max_length : int
        Longest text kept (after cleaning).

    Returns
    -------
    str

    Raises
    ------
    DecisionRuleError
        Nothing visible remains, or the text is too long (422, naming ``field``).
    """
    cleaned = INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise DecisionRuleError(
            f"{field} must contain visible text (control and invisible characters are removed)",
            details={"field": field},
        )
    if len(cleaned) > max_length:
        raise DecisionRuleError(
            f"{field} must be at most {max_length} characters", details={"field": field}
        )
    return cleaned
