"""API keys: generated once, shown once, stored only as a sha256 hash.

Roles nest: an ``admin`` key may do everything, an ``analyst`` key may do analyst
and counsellor work, a ``counsellor`` key only counsellor work
(:func:`role_allows`). A counsellor key belongs to one centre (contract section
8); analyst and admin keys may have none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.errors import NotFoundError
from matcher.store.tables import CENTRE_ID_LENGTH, LABEL_MAX_LENGTH, ApiKey, utc_now

logger = logging.getLogger(__name__)

KEY_PREFIX: Final = "mk_"
"""Every generated key starts with this, so leaked keys are easy to spot."""

DISPLAY_PREFIX_LENGTH: Final = 8


class Role(StrEnum):
    """What a key may do, from least to most."""

    COUNSELLOR = "counsellor"
    ANALYST = "analyst"
    ADMIN = "admin"


_RANK: Final[dict[Role, int]] = {Role.COUNSELLOR: 0, Role.ANALYST: 1, Role.ADMIN: 2}


def role_allows(have: Role | str, need: Role | str) -> bool:
    """Answer whether a key with role ``have`` may use a route that needs ``need``.

    Parameters
    ----------
    have, need : Role or str
        Role values (``"counsellor"``, ``"analyst"``, ``"admin"``).

    Returns
    -------
    bool
        ``True`` when ``have`` is ``need`` or above it (admin ⊇ analyst ⊇ counsellor).

    Raises
    ------
    ValueError
        If either value is not a role.
    """
    return _RANK[Role(have)] >= _RANK[Role(need)]


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the key itself nor its hash."""

    label: str
    role: Role
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    centre_id: str | None = None

    @property
    def active(self) -> bool:
        """Whether the key has not been revoked."""
        return self.revoked_at is None


def generate_key() -> str:
    """Return a new random key, ``mk_`` followed by 43 URL-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Return the sha256 hex digest of ``key`` (what the database keeps)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        label=row.label,
        role=Role(row.role),
        key_prefix=row.key_prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        centre_id=row.centre_id,
    )


def _checked_centre(role: Role, centre_id: str | None) -> str | None:
    centre_id = (centre_id or "").strip() or None
    if centre_id is None:
        if role is Role.COUNSELLOR:
            raise ValueError("a counsellor key needs a centre (--centre CENTRE_ID)")
        return None
    if not re.fullmatch(rf"[a-z0-9_]{{1,{CENTRE_ID_LENGTH}}}", centre_id):
        raise ValueError(f"centre {centre_id!r} is not 1-{CENTRE_ID_LENGTH} of a-z, 0-9, _")
    return centre_id


def create_key(
    *, session: Session, role: Role | str, label: str, centre_id: str | None = None
) -> tuple[str, KeyInfo]:
    """Create a key for ``label`` with ``role``; the clear key is returned only here.

    Parameters
    ----------
    session : Session
    role : Role or str
    label : str
        Unique, 1-64 characters, e.g. ``"casa-counsellor-1"``.
    centre_id : str, optional
        The centre the key belongs to: required for a counsellor key. That it
        is a centre of the catalogue is for the caller to check (the store does
        not read the catalogue).

    Returns
    -------
    (key, info) : tuple of str and KeyInfo
        Give ``key`` to its holder now: it cannot be recovered later.

    Raises
    ------
    ValueError
        If the role is unknown, the label empty or too long, or already used
        (also by a revoked key), or a counsellor key has no centre.
    """
    role = Role(role)
    centre_id = _checked_centre(role, centre_id)
    label = label.strip()
    if not label or len(label) > LABEL_MAX_LENGTH:
        raise ValueError(f"label must be 1-{LABEL_MAX_LENGTH} characters")
    if _label_taken(session, label):
        raise ValueError(f"a key labelled {label!r} already exists")
    key = generate_key()
    row = ApiKey(
        label=label,
        role=role.value,
        key_hash=hash_key(key),
        key_prefix=key[:DISPLAY_PREFIX_LENGTH],
        centre_id=centre_id,
        created_at=utc_now(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another process took the label between the check and here
        session.rollback()
        raise ValueError(f"a key labelled {label!r} already exists") from None
    logger.info("created %s key %r", role.value, label)
    return key, _info(row)


def _label_taken(session: Session, label: str) -> bool:
    return session.scalar(select(ApiKey.id).where(ApiKey.label == label)) is not None


def verify_key(*, session: Session, key: str) -> KeyInfo | None:
    """Return the key's info if ``key`` is known and not revoked, else ``None``.

    The lookup is by hash (no secret-dependent string comparison), and the
    stored digest is compared again with :func:`hmac.compare_digest`.
    """
    if not key:
        return None
    digest = hash_key(key)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    if row.revoked_at is not None:
        return None
    return _info(row)


def revoke_key(*, session: Session, label: str) -> None:
    """Revoke the key labelled ``label`` (revoking twice keeps the first date).

    Raises
    ------
    NotFoundError
        If no key has that label.
    """
    row = session.scalar(select(ApiKey).where(ApiKey.label == label))
    if row is None:
        raise NotFoundError(f"no API key labelled {label!r}", details={"label": label})
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        session.flush()
        logger.info("revoked key %r", label)


def list_keys(*, session: Session) -> list[KeyInfo]:
    """Return every key (active and revoked), oldest first."""
    rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return [_info(r) for r in rows]


def has_admin_key(*, session: Session) -> bool:
    """Answer whether at least one active admin key exists (first-run bootstrap)."""
    found = session.scalar(
        select(ApiKey.id)
        .where(ApiKey.role == Role.ADMIN.value, ApiKey.revoked_at.is_(None))
        .limit(1)
    )
    return found is not None
