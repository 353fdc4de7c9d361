"""The persistence layer of matcher (the only core package that imports SQLAlchemy).

Typical use at an entry point::

    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        diagnosis_id = save_diagnosis(session=session, ...)
"""

from __future__ import annotations

from matcher.store.audit_log import log_request, log_requests
from matcher.store.db import (
    check_database,
    current_revision,
    make_alembic_config,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_database,
)
from matcher.store.decisions import record_decision
from matcher.store.history_export import (
    HistoryExport,
    export_history,
    export_history_with_rejects,
)
from matcher.store.jobs import JobRecord, JobStatus, create_job, get_job, update_job
from matcher.store.keys import (
    KeyInfo,
    Role,
    create_key,
    generate_key,
    has_admin_key,
    hash_key,
    list_keys,
    revoke_key,
    role_allows,
    verify_key,
)
from matcher.store.outcomes import record_outcome
from matcher.store.records import DecisionChoice, DecisionRecord, DiagnosisRecord, OutcomeRecord
from matcher.store.repository import (
    canonical_profile_json,
    get_diagnosis,
    profile_hash,
    save_diagnosis,
)

__all__ = [
    "DecisionChoice",
    "DecisionRecord",
    "DiagnosisRecord",
    "HistoryExport",
    "JobRecord",
    "JobStatus",
    "KeyInfo",
    "OutcomeRecord",
    "Role",
    "canonical_profile_json",
    "check_database",
    "create_job",
    "create_key",
    "current_revision",
    "export_history",
    "export_history_with_rejects",
    "generate_key",
    "get_diagnosis",
    "get_job",
    "has_admin_key",
    "hash_key",
    "list_keys",
    "log_request",
    "log_requests",
    "make_alembic_config",
    "make_engine",
    "make_session_factory",
    "profile_hash",
    "record_decision",
    "record_outcome",
    "revoke_key",
    "role_allows",
    "save_diagnosis",
    "session_scope",
    "update_job",
    "upgrade_database",
    "verify_key",
]
