"""The SQL tables of matcher, as a SQLAlchemy 2 typed ORM.

Portable across SQLite and PostgreSQL: enumerations are short strings guarded
by CHECK constraints, money is a float, and every timestamp is stored and
returned as an aware UTC ``datetime`` (:class:`UTCDateTime`).

::

    api_keys     who may call the API (sha256 of each key, never the key)
    diagnoses    one recommendation shown to a counsellor, with the profile
    decisions    what the counsellor decided (several over time; the latest counts)
    outcomes     the follow-up of the funded project (feeds the next model),
                 one current record per project and horizon, corrections as versions
    audit_log    one line per API request
    jobs         background cohort scoring
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so migrations can refer to them."""

ROLES: Final = ("counsellor", "analyst", "admin")
DECISION_CHOICES: Final = ("recommended", "other", "none")
JOB_STATUSES: Final = ("queued", "running", "done", "failed")
REASON_MAX_LENGTH: Final = 1000
LABEL_MAX_LENGTH: Final = 64
CENTRE_ID_LENGTH: Final = 32
NOTE_MAX_LENGTH: Final = 2000


def utc_now() -> datetime:
    """Return the current time as an aware UTC ``datetime``."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC ``datetime`` on every backend.

    Naive values are refused on the way in (they are ambiguous); values read
    back from SQLite, which keeps no offset, are marked UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware ``datetime`` to UTC before it is stored."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return stored values as aware UTC ``datetime`` objects."""
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - driver guarantee
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base holding the metadata that migrations follow."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ApiKey(Base):
    """An API key: only its sha256 and an 8-character display prefix are kept."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(8))
    centre_id: Mapped[str | None] = mapped_column(String(CENTRE_ID_LENGTH), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Diagnosis(Base):
    """One recommendation shown to a counsellor, with the profile it was made for."""

    __tablename__ = "diagnoses"
    __table_args__ = (CheckConstraint("top_k >= 1", name="top_k_positive"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    beneficiary_id: Mapped[str] = mapped_column(String(64), index=True)
    profile_json: Mapped[str] = mapped_column(Text)
    input_hash: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(128))
    top_k: Mapped[int] = mapped_column(Integer)
    recommendations_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    created_by: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    centre_id: Mapped[str | None] = mapped_column(
        String(CENTRE_ID_LENGTH), nullable=True, index=True
    )
    decision_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many decisions were recorded: the compare-and-swap counter behind the ETag."""


class Decision(Base):
    """What the counsellor decided for a diagnosis; the latest one counts."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(_one_of("choice", DECISION_CHOICES), name="choice"),
        CheckConstraint(
            "(choice = 'none' AND project_type_id IS NULL)"
            " OR (choice <> 'none' AND project_type_id IS NOT NULL)",
            name="project_type_required",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    diagnosis_id: Mapped[str] = mapped_column(ForeignKey("diagnoses.id"), index=True)
    choice: Mapped[str] = mapped_column(String(16))
    project_type_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(REASON_MAX_LENGTH))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    decided_by: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))


class Outcome(Base):
    """The follow-up of a funded project."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("funded_mad > 0", name="funded_positive"),
        CheckConstraint(
            "monthly_income_mad IS NULL OR monthly_income_mad >= 0", name="income_non_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    diagnosis_id: Mapped[str] = mapped_column(ForeignKey("diagnoses.id"), index=True)
    project_type_id: Mapped[str] = mapped_column(String(64))
    funded_mad: Mapped[float] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    active_3m: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    active_6m: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    active_12m: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    active_24m: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    monthly_income_mad: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    recorded_by: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    horizon_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The follow-up this record answers (3, 6, 12, 24); ``NULL`` for records made before."""
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """1 for the first record of a (diagnosis, horizon), then 2, 3... for corrections."""
    changed_to_reason: Mapped[str | None] = mapped_column(String(REASON_MAX_LENGTH), nullable=True)
    correction_reason: Mapped[str | None] = mapped_column(String(REASON_MAX_LENGTH), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    """One API request, as seen by the audit middleware."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    key_label: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH), nullable=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(512))
    status_code: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    input_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)


class Job(Base):
    """A background cohort-scoring job."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    input_path: Mapped[str] = mapped_column(String(1024))
    output_path: Mapped[str] = mapped_column(String(1024))
    rejects_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    n_scored: Mapped[int] = mapped_column(Integer, default=0)
    n_rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    centre_id: Mapped[str | None] = mapped_column(String(CENTRE_ID_LENGTH), nullable=True)
