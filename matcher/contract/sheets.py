"""Files people open in a spreadsheet: ``.xlsx``, CSV separators, French locale, safe cells.

- **Reading.** ``.xlsx`` (first sheet, every cell as text); a CSV's separator is
  detected from its header (``,``, ``;`` or tab; :func:`detect_separator`); a ``;``
  file is read as French-locale: decimal commas and spaces between thousands in
  number cells (``45 000,50``) and in experience years (``plumbing:3,5``).
- **Writing.** :class:`SheetStyle` says how: ``locale="fr"`` writes ``;``, decimal
  commas and a UTF-8 BOM (what a French-locale spreadsheet expects); ``labels``
  adds names (fr/ar/en) next to codes and ``*_pct`` percentage columns beside scores.
- **Safety.** Every text cell written, in CSV or XLSX, outputs and rejects alike, is
  neutralised against formula injection: in CSV a cell starting with ``= + - @``,
  tab or carriage return gets a leading ``'`` (:func:`neutralise`; our readers take it
  off again); in XLSX text cells are typed as text with Excel's quote prefix, so
  ``=HYPERLINK(...)``, ``00123``, ``-1-1`` and ``1E5`` stay the text they were.
  In the French-locale CSV, id columns are written ``="00123"`` so that a spreadsheet
  keeps leading zeros and does not read ``1E5`` as a number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from matcher.errors import DataSchemaError

SEPARATORS: Final[tuple[str, ...]] = (",", ";", "\t")
SEPARATOR_NAMES: Final[dict[str, str]] = {",": "comma", ";": "semicolon", "\t": "tab"}
FORMULA_TRIGGERS: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")
ID_COLUMNS: Final[tuple[str, ...]] = ("beneficiary_id", "commune_code", "row_number")
LABELLED: Final[dict[str, str]] = {
    "project_type_id": "project_type_name",
    "sector_id": "sector_name",
    "region_id": "region_name",
}
"""Code columns and the name column written beside each when labels are asked for."""
PERCENT_COLUMNS: Final[tuple[str, ...]] = ("score", "score_low", "score_high", "livelihood")

_FR_NUMBER = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?$|^-?\d+,\d+$")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.\-]+")
_FR_YEARS = re.compile(r"(:\s*\d+),(\d+)")


def detect_separator(header_line: str) -> str:
    """The separator of a CSV header line: the most frequent of ``,`` ``;`` tab outside quotes."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


def read_first_line(path: Path) -> str:
    """The header line of a text file (BOM removed, undecodable bytes replaced)."""
    with path.open("rb") as fh:
        raw = fh.readline()
    return raw.decode("utf-8-sig", errors="replace").rstrip("\r\n")


def french_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Read French-locale number cells: ``45 000,50`` -> ``45000.50``, ``x:3,5`` -> ``x:3.5``."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        number = values.str.fullmatch(_FR_NUMBER.pattern, na=False)
        fixed = values.where(
            ~number,
            values.str.replace(r"[ \u00a0\u202f]", "", regex=True).str.replace(",", "."),
        )
        out[col] = fixed.str.replace(_FR_YEARS.pattern, r"\1.\2", regex=True)
    return pd.DataFrame(out, index=frame.index)


def unquote_neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Take off the ``'`` that :func:`neutralise` put before a formula character.

    Also reads a ``="00123"`` id cell (the French-locale CSV) back as ``00123``. Only
    columns holding such a cell are rewritten: most files have none.
    """
    out = frame
    for col in frame.columns:
        values = frame[col]
        marked = values.str.startswith(("'", '="'), na=False)
        if not marked.any():
            continue
        fixed = values[marked].str.replace("^'(?=[=+\\-@\t\r])", "", regex=True)
        fixed = fixed.str.replace(r'^="([A-Za-z0-9_.\-]+)"$', r"\1", regex=True)
        if out is frame:
            out = frame.copy()
        out.loc[marked, col] = fixed
    return out


# -- xlsx ---------------------------------------------------------------------------
def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d"))
    return str(value)


def iter_xlsx(path: Path, *, chunk_rows: int) -> Generator[pd.DataFrame, None, None]:
    """The first sheet of an ``.xlsx`` file as text frames of ``chunk_rows`` rows."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise DataSchemaError(
            f"{path}: cannot be read as an .xlsx workbook: {exc}", details={"path": str(path)}
        ) from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise DataSchemaError(
                f"{path}: the file is empty (no header row)", details={"path": str(path)}
            )
        names = [_xlsx_text(h).strip() for h in header]
        while names and not names[-1]:
            names.pop()
        batch: list[list[str]] = []
        yielded = False
        for row in rows:
            cells = [_xlsx_text(v) for v in row[: len(names)]]
            if not any(cells):
                continue  # spreadsheets keep formatted but empty rows
            batch.append(cells + [""] * (len(names) - len(cells)))
            if len(batch) == chunk_rows:
                yield pd.DataFrame(batch, columns=names, dtype="str")
                batch, yielded = [], True
        if batch or not yielded:
            yield pd.DataFrame(batch, columns=names, dtype="str")
    finally:
        book.close()


# -- writing ------------------------------------------------------------------------
@dataclass(frozen=True)
class SheetStyle:
    """How an output file is laid out for the people who open it.

    Attributes
    ----------
    locale : ``"en"`` or ``"fr"``
        ``fr``: ``;`` separator, decimal comma, UTF-8 BOM, ids as ``="..."`` (CSV only).
    labels : ``"fr"``, ``"ar"``, ``"en"`` or None
        Add the names of coded values beside the codes, and percentage columns.
    """

    locale: Literal["en", "fr"] = "en"
    labels: str | None = None

    @property
    def separator(self) -> str:
        """The CSV field separator."""
        return ";" if self.locale == "fr" else ","


def neutralise(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (``'`` before a trigger)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def add_labels(
    frame: pd.DataFrame, names: Mapping[str, Mapping[str, str]], lang: str
) -> pd.DataFrame:
    """Names in ``lang`` beside each code column, and ``*_pct`` beside score columns."""
    out = frame.copy()
    for code, name in LABELLED.items():
        if code in out.columns:
            labels = [names.get(str(v), {}).get(lang, "") for v in out[code].tolist()]
            out.insert(out.columns.get_loc(code) + 1, name, pd.Series(labels, index=out.index))
    for col in PERCENT_COLUMNS:
        if col in out.columns:
            pct = (pd.to_numeric(out[col], errors="coerce") * 100).round(1)
            out.insert(out.columns.get_loc(col) + 1, f"{col}_pct", pct)
    return out


def _is_text(series: pd.Series) -> bool:
    return bool(series.dtype == object or pd.api.types.is_string_dtype(series.dtype))


def csv_frame(frame: pd.DataFrame, style: SheetStyle) -> pd.DataFrame:
    """The frame as a CSV writer should receive it: text neutralised, fr numbers and ids."""
    out = {}
    for col in frame.columns:
        series = frame[col]
        if _is_text(series):
            text = series.astype("str").fillna("")
            if style.locale == "fr" and col in ID_COLUMNS:
                text = text.map(_as_text_formula)
            else:
                text = text.map(neutralise)
            out[col] = text
        elif style.locale == "fr" and pd.api.types.is_float_dtype(series.dtype):
            out[col] = series.map(_french_float)
        else:
            out[col] = series
    return pd.DataFrame(out, index=frame.index)


def _french_float(value: float) -> str:
    """``0,617953``, ``12000`` (whole numbers without ``,0``), empty for NaN."""
    if pd.isna(value):
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")


def _as_text_formula(value: str) -> str:
    """``="00123"`` for a plain id (kept as text by a spreadsheet); other cells neutralised."""
    return f'="{value}"' if _PLAIN_ID.fullmatch(value) else neutralise(value)


def write_csv(frame: pd.DataFrame, path: Path, style: SheetStyle) -> None:
    """Write a CSV file in ``style`` (the caller renames it into place)."""
    csv_frame(frame, style).to_csv(
        path,
        index=False,
        sep=style.separator,
        encoding="utf-8-sig" if style.locale == "fr" else "utf-8",
        quoting=csv.QUOTE_MINIMAL,
    )


class XlsxWriter:
    """Append frames to one sheet of a new workbook, streaming (write-only mode)."""

    def __init__(self, path: Path, sheet: str = "matcher") -> None:
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(sheet[:31])
        self.header: list[str] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (the first call writes the header)."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        if self.header is None:
            self.header = [str(c) for c in frame.columns]
            bold = []
            for name in self.header:
                cell = WriteOnlyCell(self.sheet, value=name)
                cell.font = Font(bold=True)
                bold.append(cell)
            self.sheet.append(bold)
        percent = {c for c in frame.columns if c in PERCENT_COLUMNS}
        text = {c for c in frame.columns if _is_text(frame[c])}
        for row in frame.itertuples(index=False, name=None):
            self.sheet.append(list(self._cells(frame.columns, row, percent, text)))

    def _cells(
        self, columns: Sequence[Any], row: Iterable[Any], percent: set[Any], text: set[Any]
    ) -> Generator[Any, None, None]:
        from openpyxl.cell import WriteOnlyCell

        for col, value in zip(columns, row, strict=True):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                yield None
            elif col in text or isinstance(value, str):
                cell = WriteOnlyCell(self.sheet, value=None)
                cell.value = str(value)
                cell.data_type = "s"  # never a formula, whatever its first character
                cell.quotePrefix = True
                yield cell
            elif col in percent:
                cell = WriteOnlyCell(self.sheet, value=float(value))
                cell.number_format = "0.0%"
                yield cell
            elif isinstance(value, np.generic):
                yield value.item()
            else:
                yield value

    def close(self) -> None:
        """Save the workbook."""
        self.book.save(self.path)


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """Write one frame as an ``.xlsx`` workbook."""
    writer = XlsxWriter(path)
    writer.write(frame)
    writer.close()
