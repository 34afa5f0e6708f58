"""Big sheets' rows (the export's Products sheet, the report's copies) are rendered by `sheetxml`
instead of XlsxWriter's per-cell calls.
These tests write the same cells both ways and require the same sheet XML, so anything Excel,
LibreOffice or WPS read from XlsxWriter's output they read from ours."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter

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


def test_row_numbers_must_match_the_cells():
    with pytest.raises(ValueError):
        rows_xml(row_template(["A", "B"]), range(3, 5), [["/>", "/>"], ["/>"]])


MIXED = ["text", "", None, 0, 12.5, -3, True, False, dt.datetime(2024, 3, 1, 13, 30), dt.date(1900, 1, 5),
         dt.time(6, 0), dt.timedelta(days=1, hours=12), "=1+1", " padded "]


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
