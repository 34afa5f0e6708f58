"""Big sheets' rows (the export's Products sheet, the report's copies) are rendered by `sheetxml`
instead of XlsxWriter's per-cell calls.
These tests write the same cells both ways and require the same sheet XML, so anything Excel,
LibreOffice or WPS read from XlsxWriter's output they read from ours."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import textwrap
import zipfile

import openpyxl
import pytest
import xlsxwriter

import sheetsync
from sheetsync import xlsx
from sheetsync.sheetxml import (
    formula_cells,
    number_cells,
    row_template,
    rows_xml,
    text_cells,
    value_cell,
)
from sheetsync.xlsx import OPTIONS, RowStreamWorksheet, style_index

TEXTS = [
    "plain", "", "  leading space", "trailing space ", "tab\tinside", "\ttab first", "line\nbreak",
    "carriage\rreturn", "bell\x07", "nul\x00byte", "literal _x0041_ escape", "a & b < c > d", 'quote "q"',
    "=SUM(A1:A2)", "+1", "-1", "@cmd", "＝全角", "中文标题 商品", "emoji 📦 box", "non\ufffechar", "\u00a0nbsp",
    "x" * 300, "0754323194877",
]
NUMBERS = [0, 1, 12.5, 0.1, 0.3, 451.19, 999999.99, 0.001, 1.637, 2.007, 500, 999999, 1e-7, 123456789012345678]
FORMULA = 'IF(N(C\x00)>0,IF(B\x00<=30000,(ROUND(B\x00*100,0)+7)/100,"n/a"),"")'
CACHED = [12.34, "", "n/a", 0.1, 5, 999999.99, "", 1.5, "n/a", 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]


def _sheet_data(path) -> tuple[str, str]:
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode("utf-8")
    dimension = re.search(r"<dimension[^>]*>", xml).group(0)
    return dimension, xml[xml.index("<sheetData"):xml.index("</sheetData>")]


def _book(path, worksheet_class=None):
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    ws = book.add_worksheet("Products", worksheet_class=worksheet_class)
    formats = [book.add_format({"num_format": "@"}), book.add_format({"num_format": "@", "quote_prefix": True}),
               book.add_format({"num_format": "0.00"}), book.add_format({"num_format": "0.00", "locked": False})]
    styles = [style_index(f) for f in formats]
    ws.write_string(0, 0, "header", formats[0])
    ws.write_string(0, 3, "key", formats[0])
    return book, ws, formats, styles


def test_rows_match_xlsxwriter_cell_for_cell(tmp_path):
    rows = len(TEXTS)
    numbers = (NUMBERS * 2)[:rows]
    book, ws, formats, _ = _book(tmp_path / "reference.xlsx")
    for i, text in enumerate(TEXTS):
        row = 1 + i
        if text:
            quoted = text.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "＝"))
            ws.write_string(row, 0, text, formats[1] if quoted else formats[0])
        else:
            ws.write_blank(row, 0, None, formats[0])
        ws.write_number(row, 1, numbers[i], formats[2])
        ws.write_number(row, 2, i * 7, formats[3])
        ws.write_formula(row, 3, "=" + FORMULA.replace("\x00", str(row + 1)), formats[2], CACHED[i])
    book.close()

    book, ws, formats, styles = _book(tmp_path / "ours.xlsx", RowStreamWorksheet)
    columns = [
        text_cells(TEXTS, styles[0], styles[1]),
        number_cells(numbers, styles[2]),
        number_cells([i * 7 for i in range(rows)], styles[3]),
        formula_cells(FORMULA, "\x00", range(2, rows + 2), CACHED[:rows], styles[2]),
    ]
    template = row_template(["A", "B", "C", "D"])
    half = rows // 2  # two chunks, as the export streams them
    chunks = [rows_xml(template, range(2, 2 + half), [c[:half] for c in columns]),
              rows_xml(template, range(2 + half, rows + 2), [c[half:] for c in columns])]
    ws.append_rows_xml(1, rows, 3, chunks)
    book.close()

    assert _sheet_data(tmp_path / "ours.xlsx") == _sheet_data(tmp_path / "reference.xlsx")


def test_rows_stream_only_in_constant_memory_mode(tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = book.add_worksheet("Products", worksheet_class=RowStreamWorksheet)
    with pytest.raises(ValueError):
        ws.append_rows_xml(1, 1, 0, ["<row/>"])
    book.close()


def test_rows_are_not_streamed_over_rows_already_written(tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), OPTIONS)
    ws = book.add_worksheet("Products", worksheet_class=RowStreamWorksheet)
    ws.write_string(5, 0, "row 6")
    ws.write_string(6, 0, "row 7")
    with pytest.raises(ValueError):
        ws.append_rows_xml(4, 4, 0, [rows_xml(row_template(["A"]), [5], [number_cells([1], 0)])])
    book.close()


def test_row_numbers_must_match_the_cells():
    with pytest.raises(ValueError):
        rows_xml(row_template(["A", "B"]), range(3, 5), [["/>", "/>"], ["/>"]])


MIXED = ["text", "", None, 0, 12.5, -3, True, False, dt.datetime(2024, 3, 1, 13, 30), dt.date(1900, 1, 5),
         dt.time(6, 0), dt.timedelta(days=1, hours=12), "=1+1", " padded ",
         # Excel's day numbers around its odd corners: 1900-01-01 as a date-time, the phantom 1900-02-29
         dt.datetime(1900, 1, 1, 6, 0), dt.date(1900, 2, 28), dt.date(1900, 3, 1),
         dt.datetime(1900, 2, 28, 23, 59, 59, 999999), dt.time(23, 59, 59, 500000), dt.timedelta(seconds=-90),
         dt.datetime(9999, 12, 31, 23, 59, 59)]


def test_any_value_matches_xlsxwriter_cell_for_cell(tmp_path):
    """The report copies the seller's sheet cell by cell, whatever each cell holds."""
    book, ws, formats, _ = _book(tmp_path / "reference.xlsx")
    for i, value in enumerate(MIXED):
        for col, cell_format in ((0, formats[2]), (1, None)):
            if value is None or value == "":
                if cell_format is not None:
                    ws.write_blank(1 + i, col, None, cell_format)
            elif isinstance(value, bool):
                ws.write_boolean(1 + i, col, value, cell_format)
            elif isinstance(value, int | float):
                ws.write_number(1 + i, col, value, cell_format)
            elif isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
                ws.write_datetime(1 + i, col, value, cell_format)
            else:
                quoted = value.startswith("=")
                ws.write_string(1 + i, col, value, formats[1] if quoted else cell_format)
    book.close()

    book, ws, formats, styles = _book(tmp_path / "ours.xlsx", RowStreamWorksheet)
    template = row_template(["A", "B"])
    rows = []
    for i, value in enumerate(MIXED):
        unformatted = value_cell(value, 0, styles[1])
        cells = [value_cell(value, styles[2], styles[1])]
        if unformatted.startswith("/>"):  # XlsxWriter writes no cell for a blank without a format
            rows.append(template.replace('<c r="B{0}"{2}', "").format(2 + i, *cells))
        else:
            rows.append(template.format(2 + i, *cells, unformatted))
    ws.append_rows_xml(1, len(MIXED), 1, ["".join(rows)])
    book.close()

    assert _sheet_data(tmp_path / "ours.xlsx") == _sheet_data(tmp_path / "reference.xlsx")


def test_numbers_excel_cannot_hold_are_kept_as_text():
    assert value_cell(float("nan"), 3, 4) == ' s="3" t="inlineStr"><is><t>nan</t></is></c>'
    assert value_cell(float("-inf"), 3, 4).endswith("<t>-inf</t></is></c>")


def test_comments_on_streamed_rows_survive(tmp_path):
    """Comments are kept apart from the cells: written before the rows stream, on any row
    including the last (after, constant-memory mode refuses them as rows already written)."""
    book = xlsxwriter.Workbook(str(tmp_path / "c.xlsx"), {"constant_memory": True})
    ws = book.add_worksheet("Products", worksheet_class=RowStreamWorksheet)
    ws.write_string(0, 0, "head")
    ws.write_comment(1, 0, "first")
    ws.write_comment(3, 0, "last")
    template = row_template(["A"])
    ws.append_rows_xml(1, 3, 0, [rows_xml(template, range(2, 5), [number_cells([1, 2, 3], 0)])])
    assert ws.write_comment(2, 0, "too late") == -1
    book.close()
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx")["Products"]
    assert [sheet.cell(r, 1).value for r in range(1, 5)] == ["head", 1, 2, 3]
    assert sheet["A2"].comment.text == "first" and sheet["A4"].comment.text == "last"


# --- XlsxWriter's internals: trusted only where tested, with a fallback through its public calls ---

def test_internals_are_trusted_only_within_the_tested_minors():
    assert xlsx.ROW_STREAM and xlsx.FALLBACK_REASON is None  # the pinned XlsxWriter
    for version in ("3.4.0", "4.0.1", "3.2.9"):
        assert f"XlsxWriter {version} is outside the tested" in xlsx._internals_problem(version)


# Imports sheetsync with an XlsxWriter that claims a release outside the tested range, as a newer
# install would, so every row goes through the fallback; then runs what argv asks.
_FALLBACK = textwrap.dedent("""
    import sys
    import xlsxwriter
    xlsxwriter.__version__ = "3.4.0"
    import sheetsync
    from sheetsync import xlsx
    assert not xlsx.ROW_STREAM and "3.4.0" in xlsx.FALLBACK_REASON
    if sys.argv[1] == "pytest":
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", __file__, "-k", "not fallback and not internals"]))
    store, edited, export, report = sys.argv[2:6]
    sheetsync.export_catalog(store, export)
    sheetsync.import_workbook(store, edited, dry_run=True, report=report)
""")


def _in_fallback(*args: str) -> subprocess.CompletedProcess:
    script = _FALLBACK.replace("__file__", repr(__file__))
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300)


def test_the_byte_for_byte_tests_hold_through_the_fallback():
    """The fallback writes through XlsxWriter's own calls, so the sheet XML is XlsxWriter's."""
    run = _in_fallback("pytest")
    assert run.returncode == 0, run.stdout + run.stderr


_VOLATILE = {"export_id", "exported_at", "signature", "Time", "Run"}  # differ between any two runs


def _cells(path) -> dict[str, list[tuple]]:
    """Every cell of every sheet: value, number format, fill and lock, the cells a seller sees."""
    book = openpyxl.load_workbook(path)
    sheets = {}
    for ws in book.worksheets:
        rows = []
        for row in ws.iter_rows():
            if row[0].value in _VOLATILE:
                continue
            rows += [(c.coordinate, c.value, c.number_format, c.fill.fgColor.rgb, c.protection.locked,
                      c.comment.text if c.comment else None) for c in row if c.value is not None or c.has_style]
        sheets[ws.title] = rows
    return sheets


def test_the_fallback_writes_the_same_export_and_report(store, workbook, tmp_path):
    first, second, third = workbook.sku_ids[0], workbook.sku_ids[1], workbook.sku_ids[2]
    workbook.set(first, "seller_price", "12,5O")  # an error, filled red and commented in the report
    workbook.set(second, "stock_US", dt.datetime(2024, 1, 5))  # a date where a number belongs
    workbook.set(third, "title", True)
    workbook.set(third, "weight_kg", "  0.350 ")
    edited = workbook.save(tmp_path / "edited.xlsx")
    sheetsync.export_catalog(store, tmp_path / "export.xlsx")
    sheetsync.import_workbook(store, edited, dry_run=True, report=tmp_path / "report.xlsx")

    fallback = tmp_path / "fallback"  # same file names: the Instructions quote the export's name
    fallback.mkdir()
    run = _in_fallback("write", str(store), str(edited), str(fallback / "export.xlsx"),
                       str(fallback / "report.xlsx"))
    assert run.returncode == 0, run.stderr

    assert _cells(fallback / "export.xlsx") == _cells(tmp_path / "export.xlsx")
    report = _cells(tmp_path / "report.xlsx")
    assert report["Errors"] and report["Products"]
    assert _cells(fallback / "report.xlsx") == report


def test_a_cell_that_was_not_a_value_stays_one(tmp_path):
    """Error values match XlsxWriter's write_formula of the error itself; an uncomputed formula is
    written without the cached 0 XlsxWriter would add (a reader would take 0 for the value); a
    merged-over cell, or a formula whose text is unknown, becomes #N/A."""
    from sheetsync.cells import CellKind, Mark
    from sheetsync.sheetxml import not_a_value_cell

    book, ws, _, _ = _book(tmp_path / "reference.xlsx")
    ws.write_formula(1, 0, "=#REF!", None, "#REF!")
    book.close()
    _, reference = _sheet_data(tmp_path / "reference.xlsx")
    assert f'<c r="A2"{not_a_value_cell(Mark(CellKind.ERROR, "#REF!"), 0)}' in reference
    assert not_a_value_cell(Mark(CellKind.ERROR, "#REF!"), 7).startswith(' s="7" t="e">')
    assert not_a_value_cell(Mark(CellKind.FORMULA, "=A1<B1"), 0) == "><f>A1&lt;B1</f></c>"
    for mark in (Mark(CellKind.MERGED, "F5:F6"), Mark(CellKind.FORMULA, "=…"), Mark(CellKind.ERROR, "#WHAT")):
        assert not_a_value_cell(mark, 0) == ' t="e"><f>#N/A</f><v>#N/A</v></c>'
