"""Ways a bad day or an attacker alters a registered version (for the activation tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib

from matcher.model.registry import ARTEFACT, MANIFEST, sha256_file


def flip_one_byte(version_dir: Path) -> None:
    """Flip one bit of one byte in the middle of the artefact (sha256 left as recorded)."""
    path = version_dir / ARTEFACT
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def replace_artefact(version_dir: Path, obj: Any) -> None:
    """Write ``obj`` as the artefact and recompute the manifest's sha256 to match."""
    path = version_dir / ARTEFACT
    joblib.dump(obj, path, compress=3)
    manifest_path = version_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["artefact_sha256"] = sha256_file(path)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def history_is_consistent(lines: list[dict[str, Any]]) -> list[int]:
    """Indexes of history lines whose ``previous`` is not the version of the line before."""
    return [i for i in range(1, len(lines)) if lines[i]["previous"] != lines[i - 1]["version"]]
