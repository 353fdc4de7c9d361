"""Initial schema: api_keys, diagnoses, decisions, outcomes, audit_log, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Timestamps are ``TIMESTAMP WITH TIME ZONE`` (UTC); the ORM type
``matcher.store.tables.UTCDateTime`` reads and writes them as aware values.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table of matcher."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('counsellor', 'analyst', 'admin')", name=op.f("ck_api_keys_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("label", name=op.f("uq_api_keys_label")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_label", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=True),
        sa.Column("input_hash", sa.String(length=64), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=64), nullable=False),
        sa.Column("profile_json", sa.Text(), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("recommendations_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("top_k >= 1", name=op.f("ck_diagnoses_top_k_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnoses")),
    )
    op.create_index(
        op.f("ix_diagnoses_beneficiary_id"), "diagnoses", ["beneficiary_id"], unique=False
    )
    op.create_index(op.f("ix_diagnoses_created_at"), "diagnoses", ["created_at"], unique=False)
    op.create_index(op.f("ix_diagnoses_input_hash"), "diagnoses", ["input_hash"], unique=False)
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input_path", sa.String(length=1024), nullable=False),
        sa.Column("output_path", sa.String(length=1024), nullable=False),
        sa.Column("rejects_path", sa.String(length=1024), nullable=True),
        sa.Column("n_scored", sa.Integer(), nullable=False),
        sa.Column("n_rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_status"), "jobs", ["status"], unique=False)
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("diagnosis_id", sa.String(length=32), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("project_type_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(choice = 'none' AND project_type_id IS NULL)"
            " OR (choice <> 'none' AND project_type_id IS NOT NULL)",
            name=op.f("ck_decisions_project_type_required"),
        ),
        sa.CheckConstraint(
            "choice IN ('recommended', 'other', 'none')", name=op.f("ck_decisions_choice")
        ),
        sa.ForeignKeyConstraint(
            ["diagnosis_id"], ["diagnoses.id"], name=op.f("fk_decisions_diagnosis_id_diagnoses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_diagnosis_id"), "decisions", ["diagnosis_id"], unique=False)
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("diagnosis_id", sa.String(length=32), nullable=False),
        sa.Column("project_type_id", sa.String(length=64), nullable=False),
        sa.Column("funded_mad", sa.Float(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("active_6m", sa.Boolean(), nullable=True),
        sa.Column("active_12m", sa.Boolean(), nullable=True),
        sa.Column("active_24m", sa.Boolean(), nullable=True),
        sa.Column("monthly_income_mad", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("funded_mad > 0", name=op.f("ck_outcomes_funded_positive")),
        sa.CheckConstraint(
            "monthly_income_mad IS NULL OR monthly_income_mad >= 0",
            name=op.f("ck_outcomes_income_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["diagnosis_id"], ["diagnoses.id"], name=op.f("fk_outcomes_diagnosis_id_diagnoses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index(op.f("ix_outcomes_diagnosis_id"), "outcomes", ["diagnosis_id"], unique=False)


def downgrade() -> None:
    """Drop every table of matcher (children first)."""
    op.drop_table("outcomes")
    op.drop_table("decisions")
    op.drop_table("jobs")
    op.drop_table("diagnoses")
    op.drop_table("audit_log")
    op.drop_table("api_keys")
