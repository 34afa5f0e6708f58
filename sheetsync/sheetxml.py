"""Big sheets' data rows as SpreadsheetML, written straight into XlsxWriter's row stream.

Why this exists: XlsxWriter spends about 3 µs of Python on every cell (argument checks, a tuple per
cell, attribute escaping, one write call per cell). At 100k SKUs × 49 columns that was two thirds
of the export, and most of a report. Here cells are formatted by plain functions, a column or a
row at a time, and each row is joined by one `str.format`, several times cheaper. The text is
exactly what XlsxWriter's own constant-memory writer produces for write_string / write_number /
write_blank / write_boolean / write_datetime / write_formula with a format (tests/test_sheetxml.py
writes the same cells both ways and compares the sheet XML), so Excel, LibreOffice and WPS read
what they always read. XlsxWriter still writes everything else: styles, validations, comments,
protection, the other sheets.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from xlsxwriter.utility import _datetime_to_excel_datetime
from xlsxwriter.worksheet import Worksheet

from .fields import needs_quote

# A literal "_xHHHH_" must be protected before control characters are stored in that notation.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_PRESERVE = ' xml:space="preserve">'  # keeps leading and trailing spaces
_DATES = (dt.datetime, dt.date, dt.time, dt.timedelta)

# Excel's limit for one cell, in UTF-16 code units.
EXCEL_TEXT_MAX = 32767


class RowStreamWorksheet(Worksheet):
    """A worksheet whose data rows can arrive as ready-made XML (constant-memory mode only).

    It uses XlsxWriter's private row-stream state (`_write_single_row`, `fh`, `previous_row`,
    `_check_dimensions`): pyproject pins XlsxWriter below 4, and tests/test_sheetxml.py fails if
    what it writes ever differs from XlsxWriter's own output."""

    def append_rows_xml(self, first_row: int, last_row: int, last_col: int, chunks: Iterable[str]) -> None:
        """Stream rows `first_row`..`last_row` (0-based), rendered by `rows_xml`, after the rows
        written so far through XlsxWriter's own calls. Constant-memory mode writes rows to its
        temporary file in order, so the pending row is flushed first, and XlsxWriter is told where
        the data ends (for the sheet's dimension) and that no row up to there is still open.
        Comments on these rows are XlsxWriter's (kept apart from the cells) and must be written
        before: afterwards it refuses them as rows already written."""
        if not self.constant_memory:
            raise ValueError("rows as XML need constant_memory mode")
        self._write_single_row(first_row)
        for chunk in chunks:
            self.fh.write(chunk)
        self._check_dimensions(last_row, last_col)
        self.previous_row = last_row + 1


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_text(text: str) -> str:
    """Cell text as stored in the file: control characters as Excel's _xHHHH_ notation (XML 1.0
    cannot carry them), a literal _xHHHH_ protected as _x005F_xHHHH_, then XML's &, < and >."""
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _style(style: int) -> str:
    """Format 0 is the default one, which XlsxWriter leaves unnamed."""
    return f' s="{style}"' if style else ""


def text_cell(text: str, style: int, quoted_style: int) -> str:
    """A non-empty text. Text a spreadsheet would run as a formula gets the quote-prefix style,
    so it stays text."""
    start = f'{_style(quoted_style if needs_quote(text) else style)} t="inlineStr"><is><t'
    if _NEEDS_ESCAPE.search(text):
        text = escape_text(text)
        preserve = text[0].isspace() or text[-1].isspace()
        text = escape_xml(text)
    else:
        preserve = text[0].isspace() or text[-1].isspace()
    return f"{start}{_PRESERVE if preserve else '>'}{text}</t></is></c>"


def text_cells(values: Iterable[str], style: int, quoted_style: int) -> list[str]:
    """One column of text cells; empty text is a formatted blank cell."""
    blank = f"{_style(style)}/>"
    return [text_cell(text, style, quoted_style) if text else blank for text in values]


def number_cells(values: Iterable[float | int | None], style: int) -> list[str]:
    """One column of numbers in XlsxWriter's notation (16 significant digits, shortest form);
    None is a formatted blank cell."""
    attribute = _style(style)
    blank = f"{attribute}/>"
    return [blank if value is None else f"{attribute}><v>{value:.16G}</v></c>" for value in values]


def value_cell(value: Any, style: int, quoted_style: int) -> str:
    """Any value a workbook reader returns, as its own kind of cell: text, number, true/false,
    date or time (as Excel's day number, shown by the cell's format), or a formatted blank.
    A number Excel cannot hold (NaN, infinity) is kept as its text. Called once per cell of a
    whole sheet, so the common kinds come first and the style attribute is made inline."""
    kind = type(value)
    if kind is str and value:
        return text_cell(value, style, quoted_style)
    attribute = f' s="{style}"' if style else ""
    if kind is float or kind is int:
        if math.isfinite(value):
            return f"{attribute}><v>{value:.16G}</v></c>"
        return text_cell(str(value), style, quoted_style)
    if value is None or kind is str:
        return f"{attribute}/>"
    if kind is bool:
        return f'{attribute} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, _DATES):
        return f"{attribute}><v>{_datetime_to_excel_datetime(value, False, False):.16G}</v></c>"
    text = str(value)
    return text_cell(text, style, quoted_style) if text else f"{attribute}/>"


def formula_cells(formula: str, row_mark: str, rows: Iterable[int], cached: Iterable[float | str],
                  style: int) -> list[str]:
    """One column of the same formula on consecutive rows. `formula` (without "=") holds
    `row_mark` wherever the row number goes; `cached` is each cell's result as last computed,
    shown by viewers that do not recalculate ("" for none)."""
    parts = escape_xml(formula).split(row_mark)
    attribute = _style(style)
    cells = []
    for row, value in zip(rows, cached, strict=True):
        kind = ' t="str"' if isinstance(value, str) and value else ""
        cells.append(f"{attribute}{kind}><f>{str(row).join(parts)}</f><v>{escape_xml(str(value))}</v></c>")
    return cells


def row_template(letters: Sequence[str]) -> str:
    """`template.format(row_number, *cells)` is one <row> element of cells made above."""
    cells = "".join(f'<c r="{letter}{{0}}"{{{i}}}' for i, letter in enumerate(letters, start=1))
    return f'<row r="{{0}}">{cells}</row>'


def rows_xml(template: str, row_numbers: Iterable[int], columns: Sequence[Sequence[str]]) -> str:
    """Rows (1-based worksheet numbers, ascending) from cells made column by column."""
    return "".join(template.format(row, *cells) for row, cells in zip(row_numbers, zip(*columns, strict=True),
                                                                        strict=True))
