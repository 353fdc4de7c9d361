"""Read and write the contract's tabular files (CSV or Parquet, by extension).

Every cell is read as text so that validation, not the reader, decides what a
malformed value is; nothing is coerced silently. Lists are ``a;b;c`` and
experience is ``trade_id:years`` items, in CSV cells and in Parquet string
columns alike (Parquet list columns are accepted and joined).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Generator, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from numpy.typing import NDArray

from matcher.contract.sheets import (
    SheetStyle,
    detect_separator,
    french_numbers,
    iter_xlsx,
    read_first_line,
    unquote_neutralised,
    write_csv,
    write_xlsx,
)
from matcher.errors import DataSchemaError

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".xlsx")
LIST_SEPARATOR = ";"
EXPERIENCE_SEPARATOR = ":"


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataSchemaError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; "
            "expected .csv, .parquet or .xlsx",
            details={"path": str(path)},
        )
    return suffix


def _cell_to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, list | tuple | np.ndarray):
        return LIST_SEPARATOR.join(_cell_to_text(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, pd.Timestamp):
        return str(value.strftime("%Y-%m-%d"))
    return str(value)


def as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Convert every cell to the text form the validators expect."""
    out = {
        str(col): pd.Series(
            [_cell_to_text(v) for v in frame[col].tolist()], dtype="str", index=frame.index
        )
        if frame[col].dtype != "str"
        else frame[col].fillna("")
        for col in frame.columns
    }
    return pd.DataFrame(out, index=frame.index)


MALFORMED = "_malformed_row"
"""Column carrying a row's shape error (too many or too few fields); see :func:`csv_shape`."""


@dataclass(frozen=True)
class CsvShape:
    """A CSV file's separator, header and the number of fields of each data record."""

    separator: str
    names: list[str]
    widths: NDArray[np.int64]

    @property
    def extra(self) -> int:
        """How many more fields than the header the widest record has."""
        return max(int(self.widths.max(initial=0)) - len(self.names), 0)


def csv_shape(path: Path) -> CsvShape:
    """Read the header and count each record's fields (one C-speed pass, quotes respected).

    Blank lines are skipped, as pandas skips them, so record ``k`` is data row ``k + 1``.
    """
    separator = detect_separator(read_first_line(path))
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator)
        header = next(reader, None)
        if header is None:
            raise pd.errors.EmptyDataError("no header")
        widths = np.fromiter((len(r) for r in reader if r), dtype=np.int64)
    names = [h.strip() or f"_unnamed_{k}" for k, h in enumerate(header)]
    return CsvShape(separator, names, widths)


def _shape_checked(chunk: pd.DataFrame, shape: CsvShape, start: int) -> pd.DataFrame:
    """Drop the padding columns; mark rows with too few fields or non-empty extra fields.

    Empty extra fields (a trailing separator on data rows, as some exports write)
    are accepted: the row is read with its columns in place.
    """
    n = len(shape.names)
    widths = shape.widths[start : start + len(chunk)]
    padding = list(chunk.columns[n:])
    filled = (
        (chunk[padding] != "").any(axis=1).to_numpy() if padding else np.zeros(len(chunk), bool)
    )
    short = widths < n
    bad = short | filled
    out = chunk[list(chunk.columns[:n])]
    if bad.any():
        message = np.where(
            short,
            [f"{w} fields where the header has {n} (a missing separator?)" for w in widths],
            [
                f"{w} fields where the header has {n} (a value with an unquoted separator?)"
                for w in widths
            ],
        )
        out = out.assign(**{MALFORMED: np.where(bad, message, "")})
    return out


def _csv_options(shape: CsvShape) -> dict[str, Any]:
    return {
        "dtype": "str",
        "keep_default_na": False,
        "na_filter": False,
        "encoding": "utf-8-sig",
        "sep": shape.separator,
        "header": None,
        "names": shape.names + [f"_extra_{k}" for k in range(shape.extra)],
    }


def _read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    shape = csv_shape(path)
    options = _csv_options(shape) | {"skiprows": 1}
    try:
        frame = pd.read_csv(path, **options, **kwargs)
    except UnicodeDecodeError:
        with _transcoded(path) as clean:
            frame = pd.read_csv(clean, **options, **kwargs)
    return _spreadsheet_cells(_shape_checked(frame, shape, 0), shape.separator)


def _spreadsheet_cells(frame: pd.DataFrame, separator: str) -> pd.DataFrame:
    """Undo what a spreadsheet or our writer did to cells: ``'`` guards, French numbers."""
    if frame.empty:
        return frame
    frame = unquote_neutralised(frame)
    return french_numbers(frame) if separator == ";" else frame


@contextmanager
def _transcoded(path: Path) -> Generator[Path, None, None]:
    """A UTF-8 copy of a file whose lines mix UTF-8 and Windows-1252/Latin-1.

    Exports from old spreadsheets mix encodings; each line is decoded on its
    own (UTF-8 first, then cp1252, then Latin-1, which decodes any byte), so no
    row is lost and accented names keep their letters.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".utf8.csv", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with path.open("rb") as src, tmp.open("w", encoding="utf-8", newline="") as dst:
            for raw in src:
                for encoding in ("utf-8", "cp1252", "latin-1"):
                    try:
                        dst.write(raw.decode(encoding))
                        break
                    except UnicodeDecodeError:
                        continue
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a whole CSV or Parquet file as a frame of text cells.

    Parameters
    ----------
    path : Path or str
        A ``.csv`` or ``.parquet`` file.

    Returns
    -------
    pandas.DataFrame
        One ``str`` column per file column, empty cells as ``""``.

    Raises
    ------
    DataSchemaError
        If the file is missing, empty, or cannot be parsed.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise DataSchemaError(f"{path}: no such file", details={"path": str(path)})
    if suffix == ".xlsx":
        chunks = list(iter_xlsx(path, chunk_rows=100_000))
        return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    try:
        frame = _read_csv(path) if suffix == ".csv" else as_text_frame(pd.read_parquet(path))
    except pd.errors.EmptyDataError:
        raise DataSchemaError(
            f"{path}: the file is empty (no header row)", details={"path": str(path)}
        ) from None
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        raise DataSchemaError(
            f"{path}: cannot be read: {exc}", details={"path": str(path)}
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)


def iter_table(
    path: Path | str, *, chunk_rows: int = 50_000
) -> Generator[pd.DataFrame, None, None]:
    """Read a CSV or Parquet file in chunks of text cells (constant memory).

    Each chunk keeps a ``RangeIndex`` continuing from the previous chunk, so
    ``index + 2`` is the CSV line number and ``index + 1`` the data row number.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise DataSchemaError(f"{path}: no such file", details={"path": str(path)})
    start = 0
    if suffix == ".xlsx":
        for chunk in iter_xlsx(path, chunk_rows=chunk_rows):
            yield _renumber(chunk, start)
            start += len(chunk)
        return
    try:
        if suffix == ".csv":
            try:
                for chunk in _csv_chunks(path, chunk_rows, skip=0):
                    yield _renumber(chunk, start)
                    start += len(chunk)
            except UnicodeDecodeError:
                # Mixed encodings: go on from the first row not yet given, on a
                # transcoded copy (the rows already yielded are not read twice).
                with _transcoded(path) as clean:
                    for chunk in _csv_chunks(clean, chunk_rows, skip=start):
                        yield _renumber(chunk, start)
                        start += len(chunk)
        else:
            parquet = pq.ParquetFile(path)
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                chunk = as_text_frame(batch.to_pandas())
                yield _renumber(chunk, start)
                start += len(chunk)
    except pd.errors.EmptyDataError:
        raise DataSchemaError(
            f"{path}: the file is empty (no header row)", details={"path": str(path)}
        ) from None
    except UnicodeDecodeError:
        raise DataSchemaError(
            f"{path}: mixed text encodings; save the file as UTF-8",
            details={"path": str(path)},
        ) from None
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        raise DataSchemaError(
            f"{path}: cannot be read: {exc}", details={"path": str(path)}
        ) from exc


def _csv_chunks(path: Path, chunk_rows: int, *, skip: int) -> Generator[pd.DataFrame, None, None]:
    shape = csv_shape(path)
    options = _csv_options(shape) | {"skiprows": 1 + skip, "chunksize": chunk_rows}
    start = skip
    with pd.read_csv(path, **options) as reader:
        for chunk in reader:
            checked = _shape_checked(chunk, shape, start)
            start += len(chunk)
            yield _spreadsheet_cells(checked, shape.separator)


def _renumber(chunk: pd.DataFrame, start: int) -> pd.DataFrame:
    out = chunk.copy()
    out.columns = [str(c).strip() for c in out.columns]
    out.index = pd.RangeIndex(start, start + len(out))
    return out


def read_header(path: Path | str) -> list[str]:
    """Return the column names of a CSV or Parquet file without reading its rows."""
    path = Path(path)
    suffix = _suffix(path)
    if not path.is_file():
        raise DataSchemaError(f"{path}: no such file", details={"path": str(path)})
    if suffix == ".xlsx":
        return [str(c) for c in next(iter_xlsx(path, chunk_rows=1)).columns]
    if suffix == ".parquet":
        try:
            return [str(c).strip() for c in pq.read_schema(path).names]
        except (OSError, ValueError) as exc:
            raise DataSchemaError(f"{path}: cannot be read: {exc}") from exc
    try:
        return csv_shape(path).names
    except pd.errors.EmptyDataError:
        raise DataSchemaError(f"{path}: the file is empty (no header row)") from None


def count_rows(path: Path | str) -> int:
    """Number of data rows, cheaply (Parquet metadata; CSV lines minus the header).

    For a progress bar or a size threshold: a CSV cell with an embedded newline
    makes the count an over-estimate.
    """
    path = Path(path)
    if _suffix(path) == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    if _suffix(path) == ".xlsx":
        return sum(len(chunk) for chunk in iter_xlsx(path, chunk_rows=50_000))
    with path.open("rb") as fh:
        return max(sum(1 for _ in fh) - 1, 0)


def write_table(frame: pd.DataFrame, path: Path | str, style: SheetStyle | None = None) -> None:
    """Write ``frame`` to CSV, Parquet or XLSX atomically (temporary file, then rename).

    An interrupted write never leaves a partial file under the final name. Text
    cells of CSV and XLSX files are neutralised against formula injection
    (:mod:`matcher.contract.sheets`); ``style`` lays a CSV out for a spreadsheet.
    """
    path = Path(path)
    suffix = _suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":
            write_csv(frame, tmp, style or SheetStyle())
        elif suffix == ".xlsx":
            write_xlsx(frame, tmp)
        else:
            frame.to_parquet(tmp, index=False)
        os.chmod(tmp, 0o666 & ~umask_value())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def umask_value() -> int:
    """The process umask (read without changing it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def split_list(cell: str) -> list[str]:
    """Split an ``a;b;c`` cell into its items (empty cell: empty list)."""
    return [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]


def join_list(items: Sequence[str]) -> str:
    """Join items into an ``a;b;c`` cell."""
    return LIST_SEPARATOR.join(items)


def format_years(years: float) -> str:
    """Write years without a trailing ``.0`` (``3``, ``2.5``)."""
    return str(int(years)) if float(years).is_integer() else repr(float(years))


def parse_experience(cell: str) -> list[tuple[str, float]]:
    """Parse ``trade_a:3;trade_b:1.5`` into ``[("trade_a", 3.0), ("trade_b", 1.5)]``.

    Raises
    ------
    ValueError
        If an item is not ``trade_id:years`` with finite years >= 0.
    """
    out: list[tuple[str, float]] = []
    for item in split_list(cell):
        trade, sep, years_text = item.partition(EXPERIENCE_SEPARATOR)
        if not sep or not trade.strip():
            raise ValueError(f"experience item {item!r} is not trade_id:years")
        try:
            years = float(years_text)
        except ValueError:
            raise ValueError(f"experience item {item!r}: years is not a number") from None
        if not np.isfinite(years) or years < 0:
            raise ValueError(f"experience item {item!r}: years must be >= 0")
        out.append((trade.strip(), years))
    return out


def join_experience(items: Iterable[tuple[str, float]]) -> str:
    """Write experience items as ``trade_id:years;...``."""
    return LIST_SEPARATOR.join(
        f"{trade}{EXPERIENCE_SEPARATOR}{format_years(years)}" for trade, years in items
    )
