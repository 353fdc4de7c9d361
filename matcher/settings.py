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
    jobs_retention_days: float = Field(
        default=30,
        ge=0,
        description="Finished cohort jobs and their files are removed this many days after "
        "they finish (checked at start-up and when a job is created).",
    )
    max_upload_mb: float = Field(
        default=512,
        gt=0,
        description="Largest cohort upload (MiB); larger requests answer 413 before parsing.",
    )
    audit_spool: Path | None = Field(
        default=None,
        description="Where audit rows wait when the database refuses them (replayed once it "
        "is back); default: audit-spool.jsonl beside a SQLite database, else in jobs_dir.",
    )
    max_json_bytes: int = Field(
        default=1 << 20,
        gt=0,
        description="Largest JSON request body (bytes); larger ones answer 413 before "
        "authentication and parsing.",
    )
    livelihood_mad: float = Field(
        default=3000.0,
        ge=0,
        description="Net monthly income (MAD) a business must reach to count as a "
        "livelihood (contract section 7; about the net minimum wage of 2025).",
    )
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


def audit_spool_path(settings: Settings) -> Path:
    """The audit spool file: the setting, else beside a SQLite file, else in ``jobs_dir``."""
    if settings.audit_spool is not None:
        return settings.audit_spool
    url = settings.database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url.removeprefix("sqlite:///")).expanduser().parent / "audit-spool.jsonl"
    return settings.jobs_dir / "audit-spool.jsonl"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (entry points only)."""
    return Settings()
