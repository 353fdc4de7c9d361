"""Centres on keys, diagnoses and jobs; the decision counter; outcome horizons and versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Rows made before this revision keep ``centre_id`` NULL: no counsellor key of a
centre sees them (contract section 8), and an admin can attach them to a centre
with an UPDATE. Their outcomes have no ``horizon_months`` and are version 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the centre columns, the decision counter and the outcome versions."""
    op.add_column("api_keys", sa.Column("centre_id", sa.String(length=32), nullable=True))
    op.add_column("diagnoses", sa.Column("centre_id", sa.String(length=32), nullable=True))
    op.add_column(
        "diagnoses",
        sa.Column("decision_version", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(op.f("ix_diagnoses_centre_id"), "diagnoses", ["centre_id"], unique=False)
    op.add_column("jobs", sa.Column("centre_id", sa.String(length=32), nullable=True))
    op.add_column("outcomes", sa.Column("active_3m", sa.Boolean(), nullable=True))
    op.add_column("outcomes", sa.Column("horizon_months", sa.Integer(), nullable=True))
    op.add_column(
        "outcomes", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("outcomes", sa.Column("changed_to_reason", sa.String(length=1000), nullable=True))
    op.add_column("outcomes", sa.Column("correction_reason", sa.String(length=1000), nullable=True))
    op.add_column("outcomes", sa.Column("note", sa.Text(), nullable=True))
    # Existing decisions count towards the counter, so the first change of an
    # old diagnosis also needs its ETag.
    op.execute(
        "UPDATE diagnoses SET decision_version = "
        "(SELECT COUNT(*) FROM decisions WHERE decisions.diagnosis_id = diagnoses.id)"
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    with op.batch_alter_table("outcomes") as batch:
        for name in (
            "note",
            "correction_reason",
            "changed_to_reason",
            "version",
            "horizon_months",
            "active_3m",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("centre_id")
    op.drop_index(op.f("ix_diagnoses_centre_id"), table_name="diagnoses")
    with op.batch_alter_table("diagnoses") as batch:
        batch.drop_column("decision_version")
        batch.drop_column("centre_id")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("centre_id")
