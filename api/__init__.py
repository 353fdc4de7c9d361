"""The HTTP API of matcher (FastAPI); ``api.main.create_app`` builds it."""

from __future__ import annotations

__all__: list[str] = []
