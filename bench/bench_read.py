"""Reading a large cohort CSV through ``iter_table`` (shape pre-pass, separator, guards).

Usage::

    .venv/bin/python bench/bench_read.py --copies 500     # 300,000 rows

Writes ``data_samples/cohort.csv`` repeated ``--copies`` times (unique ids) to a
temporary folder and times reading it in chunks of 20,000 rows, three times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from matcher.contract.tables import iter_table

DATA = Path(__file__).resolve().parents[1] / "data_samples"


def main() -> None:
    """Time three full reads of the generated file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=500)
    args = parser.parse_args()
    cohort = pd.read_csv(DATA / "cohort.csv", dtype=str, keep_default_na=False)
    big = pd.concat([cohort] * args.copies, ignore_index=True)
    big["beneficiary_id"] = [f"B{i}" for i in range(len(big))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        big.to_csv(path, index=False)
        for _ in range(3):
            started = time.perf_counter()
            rows = sum(len(chunk) for chunk in iter_table(path, chunk_rows=20_000))
            print(f"{rows} rows read in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
