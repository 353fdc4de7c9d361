from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import matcher.store.keys as keys_module
from matcher.errors import NotFoundError
from matcher.store import (
    Role,
    create_key,
    generate_key,
    has_admin_key,
    hash_key,
    list_keys,
    make_session_factory,
    revoke_key,
    role_allows,
    verify_key,
)
from matcher.store.tables import Base


def _all_cells(session: Session) -> list[str]:
    cells: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            cells.extend(str(value) for value in row)
    return cells


def test_generate_and_hash() -> None:
    key = generate_key()
    assert key.startswith("mk_")
    assert len(key) >= 40
    assert generate_key() != key
    digest = hash_key(key)
    assert digest != key
    assert len(digest) == 64
    assert digest == hash_key(key)


def test_create_verify_revoke(session: Session) -> None:
    key, info = create_key(session=session, role="analyst", label="casa-analyst")
    session.commit()
    assert info.role is Role.ANALYST
    assert info.key_prefix == key[:8]
    assert info.active
    assert info.created_at.utcoffset() is not None

    found = verify_key(session=session, key=key)
    assert found is not None
    assert found.label == "casa-analyst"
    assert verify_key(session=session, key=key + "x") is None
    assert verify_key(session=session, key="") is None

    revoke_key(session=session, label="casa-analyst")
    session.commit()
    assert verify_key(session=session, key=key) is None
    (listed,) = list_keys(session=session)
    assert listed.revoked_at is not None
    assert not listed.active
    first_revoked = listed.revoked_at
    revoke_key(session=session, label="casa-analyst")
    assert list_keys(session=session)[0].revoked_at == first_revoked


def test_clear_key_is_never_stored(session: Session) -> None:
    key, _ = create_key(session=session, role="admin", label="bootstrap")
    session.commit()
    cells = _all_cells(session)
    assert hash_key(key) in cells
    assert all(key not in cell for cell in cells)


def test_revoke_unknown_label(session: Session) -> None:
    with pytest.raises(NotFoundError, match="nobody"):
        revoke_key(session=session, label="nobody")


def test_duplicate_label_and_bad_role(session: Session) -> None:
    create_key(session=session, role="counsellor", label="c1", centre_id="car_fes")
    with pytest.raises(ValueError, match="already exists"):
        create_key(session=session, role="counsellor", label="c1", centre_id="car_fes")
    with pytest.raises(ValueError, match="superuser"):
        create_key(session=session, role="superuser", label="c2")
    with pytest.raises(ValueError, match="label"):
        create_key(session=session, role="counsellor", label="  ", centre_id="car_fes")


def test_has_admin_key(session: Session) -> None:
    assert not has_admin_key(session=session)
    create_key(session=session, role="counsellor", label="c1", centre_id="car_fes")
    assert not has_admin_key(session=session)
    create_key(session=session, role="admin", label="root")
    assert has_admin_key(session=session)
    revoke_key(session=session, label="root")
    assert not has_admin_key(session=session)


@pytest.mark.parametrize(
    ("have", "need", "allowed"),
    [
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.ANALYST, True),
        (Role.ADMIN, Role.COUNSELLOR, True),
        (Role.ANALYST, Role.ADMIN, False),
        (Role.ANALYST, Role.ANALYST, True),
        (Role.ANALYST, Role.COUNSELLOR, True),
        (Role.COUNSELLOR, Role.ADMIN, False),
        (Role.COUNSELLOR, Role.ANALYST, False),
        (Role.COUNSELLOR, Role.COUNSELLOR, True),
        ("analyst", "counsellor", True),
    ],
)
def test_role_allows(have: Role, need: Role, allowed: bool) -> None:
    assert role_allows(have, need) is allowed


def test_a_race_on_a_label_is_a_clear_error_not_an_integrity_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = make_session_factory(engine)
    with factory() as first:
        create_key(session=first, role="analyst", label="casa-1")
        first.commit()
    # The second creator checked the label before the first committed it.
    monkeypatch.setattr(keys_module, "_label_taken", lambda session, label: False)
    with factory() as second, pytest.raises(ValueError, match="'casa-1' already exists"):
        create_key(session=second, role="admin", label="casa-1")


def test_a_counsellor_key_belongs_to_a_centre(session: Session) -> None:
    with pytest.raises(ValueError, match="counsellor key needs a centre"):
        create_key(session=session, role="counsellor", label="nowhere")
    with pytest.raises(ValueError, match="centre 'Casa!'"):
        create_key(session=session, role="counsellor", label="bad", centre_id="Casa!")
    key, info = create_key(session=session, role="counsellor", label="fes", centre_id="car_fes")
    assert info.centre_id == "car_fes"
    found = verify_key(session=session, key=key)
    assert found is not None
    assert found.centre_id == "car_fes"
    _, analyst = create_key(session=session, role="analyst", label="national")
    assert analyst.centre_id is None
