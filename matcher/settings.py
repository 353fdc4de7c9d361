"""Runtime configuration, read only by entry points (app factory, CLI)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration from ``MATCHER_*`` environment variables (and an optional .env).

    Relative paths resolve against the current working directory.
    """

    model_config = SettingsConfigDict(env_prefix="MATCHER_", env_file=".env", extra="ignore")

    registry: Path = Path("models")
    reference: Path = Path("data_samples/reference")
    database_url: str = "sqlite:///./matcher.db"
    default_top_k: int = Field(default=5, ge=1, le=50)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    store_runs: bool = True
    jobs_dir: Path = Path("jobs")
    sync_cohort_rows: int = Field(default=5_000, ge=0)
    key_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long a verified API key is trusted without asking the database: "
        "a revoked key stops working within this delay (0: check every request).",
    )
    follow_up_months: list[Literal[3, 6, 12, 24]] = Field(
        default=[3, 6, 12, 24],
        min_length=1,
        description="Months after a project's start when a follow-up is due (JSON list).",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (entry points only)."""
    return Settings()
