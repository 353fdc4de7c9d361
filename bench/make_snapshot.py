"""Export the repo's HEAD into /tmp/matcher-src-<commit> and print its path.

Others edit the working tree while benchmarks run. Benchmarks pinned to a
snapshot measure one identifiable commit::

    export BENCH_SRC=$(.venv/bin/python bench/make_snapshot.py)
    .venv/bin/python bench/bench_recommend.py     # imports matcher from $BENCH_SRC

The snapshot is ``git archive HEAD`` (tracked files only, no .git) plus a
``COMMIT`` file; uncommitted changes in the working tree are not in it.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--root", type=Path, default=Path("/tmp"))
    args = ap.parse_args()
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", args.rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dest = args.root / f"matcher-src-{sha}"
    if not (dest / "COMMIT").is_file():
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", sha],
            capture_output=True,
            check=True,
        ).stdout
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
        (dest / "COMMIT").write_text(sha + "\n", encoding="utf-8")
    print(dest)


if __name__ == "__main__":
    main()
