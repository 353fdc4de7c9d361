"""Logging set-up, called only by entry points."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Send matcher's log records to stderr at ``level``."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
