"""The centres of the catalogue (contract section 8): loaded, validated, outside the fingerprint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matcher.errors import ReferenceDataError
from matcher.reference import Reference, load_reference

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "data_samples" / "reference"
PRESS_CITIES = {
    "Casablanca", "Salé", "Agadir", "Oujda", "Fès", "Meknès", "Marrakech", "Tanger",
    "Settat", "Béni Mellal", "Safi",
}  # fmt: skip
"""The centres the press names (shared/facts/MOROCCO.md section 1.2)."""


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


def test_shipped_centres_serve_every_region(reference: Reference) -> None:
    centres = reference.centres
    assert set(centres["city"]) == PRESS_CITIES
    served = {region for regions in centres["region_ids"] for region in regions}
    assert served == set(reference.region_ids)
    assert centres.loc["car_agadir", "region_ids"] == ("MA-09", "MA-10", "MA-11", "MA-12")
    assert all(name.strip() for name in centres["name_ar"])
    assert "car_casablanca" in reference.centre_ids


def test_centres_do_not_change_the_fingerprint(catalogue: Path, reference: Reference) -> None:
    """Model versions are checked against the fingerprint: centres must not move it."""
    path = catalogue / "centres.csv"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "car_dakhla,Centre de Dakhla,مركز الداخلة,Dakhla,MA-12,x\n",
        encoding="utf-8",
    )
    edited = load_reference(catalogue)
    assert "car_dakhla" in edited.centre_ids
    assert edited.fingerprint == reference.fingerprint
    path.unlink()
    without = load_reference(catalogue)
    assert without.centres.empty
    assert without.fingerprint == reference.fingerprint


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("car_x,X,س,X,MA-99,n", "row 12, column 'region_ids': unknown region 'MA-99'"),
        ("car_x,X,س,X,,n", "row 12, column 'region_ids': empty value"),
        ("Car X,X,س,X,MA-01,n", "row 12, column 'centre_id': 'Car X' is not 1-32"),
        ("car_fes,X,س,X,MA-01,n", "row 12, column 'centre_id': duplicate key 'car_fes'"),
    ],
)
def test_a_broken_centres_file_names_the_row(catalogue: Path, row: str, message: str) -> None:
    path = catalogue / "centres.csv"
    path.write_text(path.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message.replace("(", r"\(")):
        load_reference(catalogue)


def test_a_region_without_a_centre_is_refused(catalogue: Path) -> None:
    path = catalogue / "centres.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("car_oujda")]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="no centre serves region 'MA-02'"):
        load_reference(catalogue)
