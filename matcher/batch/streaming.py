"""Streaming batch scoring of a cohort file: chunk in, chunk out, nothing lost.

The input is read in chunks; each chunk is validated, scored and written
before the next is read, so memory stays flat however large the file. Output
and rejects go to temporary files renamed into place at the end: an
interrupted run never leaves a file that looks complete. Every input row ends
up in the output (as its top-k rows, or as a person with no eligible type in
the summary) or in the rejects file.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from matcher.contract import columns as c
from matcher.contract.eligibility import (
    MILIEU_MISMATCH,
    OVER_BUDGET,
    RULES,
    TOO_PHYSICAL,
    check_eligibility,
)
from matcher.contract.profile_table import REJECT_COLUMNS, require_columns, validate_profiles
from matcher.contract.sheets import SheetStyle, XlsxWriter, add_labels, csv_frame
from matcher.contract.tables import iter_table, read_header, umask_value
from matcher.model.livelihood import DEFAULT_LIVELIHOOD_MAD
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from matcher.service import rank_cohort

DEFAULT_CHUNK_ROWS = 20_000
OUTPUT_COLUMNS = [
    c.BENEFICIARY_ID,
    c.RANK,
    c.PROJECT_TYPE_ID,
    c.SCORE,
    "sector_id",
    c.COST_MAD,
    c.BUDGET_MAD,
    "n_eligible",
    "model_version",
    "livelihood",
    "expected_income_mad",
    "score_low",
    "score_high",
    "objective",
]


@dataclass
class BatchSummary:
    """Counts of one batch run (every input row is accounted for)."""

    n_rows: int = 0
    n_scored: int = 0
    n_rejected: int = 0
    n_no_eligible: int = 0
    n_output_rows: int = 0
    model_version: str = ""
    objective: str = ""
    seconds: float = 0.0
    output: str = ""
    rejects: str = ""
    no_eligible_ids: list[str] = field(default_factory=list)

    def line(self) -> str:
        """A one-line human summary whose counts add up to the input rows."""
        rate = self.n_rows / self.seconds if self.seconds > 0 else float("nan")
        ranked = self.n_scored - self.n_no_eligible
        return (
            f"{self.n_rows} rows = {ranked} ranked + {self.n_no_eligible} with no eligible "
            f"type + {self.n_rejected} rejected -> {self.output} ({self.n_output_rows} rows), "
            f"rejects and no eligible type -> {self.rejects}; model {self.model_version}, "
            f"ranked by {self.objective}; "
            f"{self.seconds:.1f} s ({rate:,.0f} rows/s)"
        )


STATUS: Final = "status"
INVALID: Final = "invalid"
NO_ELIGIBLE_TYPE: Final = "no_eligible_type"
REJECT_FILE_COLUMNS: Final = [*REJECT_COLUMNS, STATUS]
"""The rejects file: the contract's three columns and ``status``: ``invalid`` (the row
broke a rule, ``error`` names it) or ``no_eligible_type`` (a valid person for whom no
project type is eligible, ``error`` counts the rules that excluded them)."""


def no_eligible_rows(valid: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Reject-file rows for valid people with no eligible type, saying what excluded them."""
    elig = check_eligibility(valid, reference.type_rules)
    counts = elig.failed.sum(axis=1)  # (people, rules): types failing each rule
    words = {
        OVER_BUDGET: "cost more than the budget",
        MILIEU_MISMATCH: "do not suit the milieu",
        TOO_PHYSICAL: "are too physical for the health constraint",
    }
    errors = [
        "project_type_id: no eligible project type ("
        + ", ".join(f"{int(n)} {words[rule]}" for rule, n in zip(RULES, row, strict=True) if n)
        + ")"
        for row in counts
    ]
    return pd.DataFrame(
        {
            c.ROW_NUMBER: valid[c.ROW_NUMBER].to_numpy(),
            c.BENEFICIARY_ID: valid[c.BENEFICIARY_ID].to_numpy(),
            c.ERROR: errors,
            STATUS: NO_ELIGIBLE_TYPE,
        }
    )


def rejects_path(output: Path) -> Path:
    """``FILE.rejects.csv`` beside the output (contract section 5)."""
    return output.with_name(output.name + ".rejects.csv")


class _Sink:
    """Append frames to a CSV, XLSX or Parquet temporary file, renamed on commit.

    CSV and XLSX text cells are neutralised against formula injection and laid out
    in ``style`` (:mod:`matcher.contract.sheets`).
    """

    def __init__(self, final: Path, style: SheetStyle | None = None) -> None:
        self.final = final
        self.style = style or SheetStyle()
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
        os.close(fd)
        self.tmp = Path(name)
        self.kind = final.suffix.lower()
        self.writer: pq.ParquetWriter | pacsv.CSVWriter | XlsxWriter | None = None
        self.schema: pa.Schema | None = None
        self.handle: BinaryIO | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.kind == ".xlsx":
            if self.writer is None:
                self.writer = XlsxWriter(self.tmp)
            assert isinstance(self.writer, XlsxWriter)
            self.writer.write(frame)
            return
        if self.kind != ".parquet":
            frame = csv_frame(frame, self.style)
        # Arrow writes both formats: its CSV writer is several times faster than
        # pandas' on large chunks. The first chunk fixes the schema.
        table = pa.Table.from_pandas(frame, preserve_index=False, schema=self.schema)
        if self.writer is None:
            self.schema = table.schema
            if self.kind == ".parquet":
                self.writer = pq.ParquetWriter(self.tmp, table.schema)
            else:
                self.handle = self.tmp.open("wb")
                if self.style.locale == "fr":
                    self.handle.write("\ufeff".encode())
                self.writer = pacsv.CSVWriter(
                    self.handle,
                    table.schema,
                    write_options=pacsv.WriteOptions(
                        quoting_style="needed", delimiter=self.style.separator
                    ),
                )
        assert not isinstance(self.writer, XlsxWriter)
        self.writer.write_table(table)

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.handle is not None:
            self.handle.close()

    def commit(self, empty: pd.DataFrame) -> None:
        if self.writer is None:
            self.write(empty)
        self._close()
        os.chmod(self.tmp, 0o666 & ~umask_value())
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        self._close()
        self.tmp.unlink(missing_ok=True)


def score_file(
    input_path: Path,
    output_path: Path,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int = 5,
    explain: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    style: SheetStyle | None = None,
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
) -> BatchSummary:
    """Score every beneficiary of a cohort file into ``output_path``.

    Parameters
    ----------
    style : SheetStyle, optional
        Lay the CSV files out for a spreadsheet (French locale) and add names
        beside codes (``labels``).
    objective : {"livelihood", "survival"} or None
        What ``rank`` follows (``None``: livelihood when the version has an
        income part, survival otherwise).
    livelihood_mad : float
        Net monthly income a livelihood must reach.
    progress : callable, optional
        Called with the number of input rows done after each chunk.

    Raises
    ------
    DataSchemaError
        The file cannot be read or lacks a required column (nothing written).
    ObjectiveUnavailableError
        ``livelihood`` asked of a version without an income part (nothing written).
    """
    started = time.perf_counter()
    require_columns(read_header(input_path), c.PROFILE_REQUIRED, what=str(input_path))
    goal = scorer.resolve_objective(objective)
    summary = BatchSummary(model_version=scorer.version, objective=goal)
    style = style or SheetStyle()
    out = _Sink(output_path, style)
    rej = _Sink(rejects_path(output_path), style)
    columns = OUTPUT_COLUMNS + (["reasons"] if explain else [])
    lang = style.labels
    labels = (lambda f: add_labels(f, reference.names, lang)) if lang else None
    seen: set[str] = set()
    chunks = iter_table(input_path, chunk_rows=chunk_rows)
    try:
        for chunk in chunks:
            summary.n_rows += len(chunk)
            valid = _split_chunk(chunk, reference=reference, seen=seen, rej=rej, summary=summary)
            if len(valid):
                _rank_valid(
                    valid,
                    reference=reference,
                    scorer=scorer,
                    top_k=top_k,
                    explain=explain,
                    livelihood_mad=livelihood_mad,
                    columns=columns,
                    out=out,
                    rejected=rej,
                    summary=summary,
                    labels=labels,
                )
            if progress is not None:
                progress(summary.n_rows)
        empty = _empty(columns)
        out.commit(labels(empty) if labels else empty)
        rej.commit(_empty(REJECT_FILE_COLUMNS))
    except BaseException:
        chunks.close()
        out.abort()
        rej.abort()
        raise
    summary.seconds = time.perf_counter() - started
    summary.output = str(output_path)
    summary.rejects = str(rejects_path(output_path))
    return summary


def _split_chunk(
    chunk: pd.DataFrame,
    *,
    reference: Reference,
    seen: set[str],
    rej: _Sink,
    summary: BatchSummary,
) -> pd.DataFrame:
    """Validate a chunk; write its rejects (repeats included) and return its valid rows."""
    ids = chunk[c.BENEFICIARY_ID].astype("str").str.strip()
    valid, rejects = validate_profiles(chunk, reference)
    if len(valid):
        valid, rejects = _drop_repeats(valid, rejects, seen)
    # Every id of the chunk counts as seen, rejected rows included, so that
    # what is a duplicate does not depend on where the chunks are cut.
    seen.update(i for i in ids.tolist() if i)
    if len(rejects):
        rej.write(rejects[REJECT_COLUMNS].assign(**{STATUS: INVALID}))
        summary.n_rejected += len(rejects)
    return valid


def _drop_repeats(
    valid: pd.DataFrame, rejects: pd.DataFrame, seen: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move valid rows whose id an earlier chunk already had to the rejects."""
    # A Python set lookup per id: pandas' isin against a growing set
    # rebuilds the whole set on every chunk (quadratic on big files).
    again = pd.Series([i in seen for i in valid[c.BENEFICIARY_ID].tolist()], index=valid.index)
    if not again.any():
        return valid, rejects
    dup = valid.loc[again]
    rejects = pd.concat(
        [
            rejects,
            pd.DataFrame(
                {
                    c.ROW_NUMBER: dup[c.ROW_NUMBER],
                    c.BENEFICIARY_ID: dup[c.BENEFICIARY_ID],
                    c.ERROR: "beneficiary_id: duplicate of an earlier row",
                }
            ),
        ],
        ignore_index=True,
    ).sort_values(c.ROW_NUMBER)
    return valid.loc[~again].reset_index(drop=True), rejects


def _rank_valid(
    valid: pd.DataFrame,
    *,
    reference: Reference,
    scorer: Scorer,
    top_k: int,
    explain: bool,
    livelihood_mad: float,
    columns: list[str],
    out: _Sink,
    rejected: _Sink,
    summary: BatchSummary,
    labels: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> None:
    """Rank a chunk's valid rows, write their top-k rows and count who had no option."""
    ranked = rank_cohort(
        valid,
        reference=reference,
        scorer=scorer,
        top_k=top_k,
        explain=explain,
        objective=summary.objective,
        livelihood_mad=livelihood_mad,
    ).assign(model_version=scorer.version, objective=summary.objective)
    missing = ~valid[c.BENEFICIARY_ID].isin(ranked[c.BENEFICIARY_ID])
    summary.n_no_eligible += int(missing.sum())
    summary.no_eligible_ids.extend(valid.loc[missing, c.BENEFICIARY_ID].tolist()[:100])
    if missing.any():
        rejected.write(no_eligible_rows(valid.loc[missing].reset_index(drop=True), reference))
    summary.n_scored += len(valid)
    if len(ranked):
        out.write(labels(ranked[columns]) if labels else ranked[columns])
        summary.n_output_rows += len(ranked)


def _empty(columns: list[str]) -> pd.DataFrame:
    """A frame with no rows and the given (text) columns."""
    return pd.DataFrame({col: pd.Series(dtype="str") for col in columns})
