"""Big sheets' data rows as SpreadsheetML text, for `xlsx.RowStreamWorksheet` to stream.

Why this exists: XlsxWriter spends about 3 µs of Python on every cell (argument checks, a tuple per
cell, attribute escaping, one write call per cell). At 100k SKUs × 49 columns that was two thirds
of the export, and most of a report. Here cells are formatted by plain functions, a column or a
row at a time, and each row is joined by one `str.format`, several times cheaper. The text is
exactly what XlsxWriter's own constant-memory writer produces for write_string / write_number /
write_blank / write_boolean / write_datetime / write_formula with a format (tests/test_sheetxml.py
writes the same cells both ways and compares the sheet XML), so Excel, LibreOffice and WPS read
what they always read. XlsxWriter still writes everything else: styles, validations, comments,
protection, the other sheets. This module only makes text; `xlsx` holds every use of XlsxWriter's
internals.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from .cells import CellKind, Mark
from .fields import needs_quote

# A literal "_xHHHH_" must be protected before control characters are stored in that notation.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_PRESERVE = ' xml:space="preserve">'  # keeps leading and trailing spaces
_DATES = (dt.datetime, dt.date, dt.time, dt.timedelta)
_EPOCH = dt.datetime(1899, 12, 31)
_SECONDS_A_DAY = 24 * 60 * 60

# Excel's limit for one cell, in UTF-16 code units.
EXCEL_TEXT_MAX = 32767


def excel_serial(value: dt.datetime | dt.date | dt.time | dt.timedelta) -> float:
    """A date, time or duration as Excel's day number (1900 date system), the way XlsxWriter's
    write_datetime stores it: days since 1899-12-31 with the time as a fraction of a day; a time
    alone (or a date-time on 1900-01-01) is a fraction below 1; day numbers from 60 on count
    Excel's phantom 1900-02-29 (so 1900-02-28 23:59 stays 59.99, as XlsxWriter 3.3.4 has it).
    A time zone is dropped (Excel has none)."""
    if isinstance(value, dt.timedelta):
        return value.days + (value.seconds + value.microseconds / 1e6) / _SECONDS_A_DAY
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, dt.date):
        moment = dt.datetime.fromordinal(value.toordinal())
    else:
        moment = dt.datetime.combine(_EPOCH, value.replace(tzinfo=None))
    delta = moment - _EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / _SECONDS_A_DAY
    if isinstance(value, dt.datetime) and moment.isocalendar() == (1900, 1, 1):
        serial -= 1
    return serial + 1 if serial >= 60 else serial


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
        return f"{attribute}><v>{excel_serial(value):.16G}</v></c>"
    text = str(value)
    return text_cell(text, style, quoted_style) if text else f"{attribute}/>"


# The error values a cell can hold; a formula made of one of them evaluates to it, in every spreadsheet.
ERROR_LITERALS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"})


def not_a_value_cell(mark: Mark, style: int) -> str:
    """A cell that must stay unreadable as a value in a copy of the seller's sheet: an error value
    as itself, an uncomputed formula as the same formula still uncomputed, a cell a merged range
    covered as #N/A (the copy does not merge; its comment says what was there)."""
    attribute = _style(style)
    if mark.kind is CellKind.FORMULA and mark.shown.startswith("=") and mark.shown not in ("=", "=…"):
        return f"{attribute}><f>{escape_xml(mark.shown[1:])}</f></c>"
    error = mark.shown if mark.kind is CellKind.ERROR and mark.shown in ERROR_LITERALS else "#N/A"
    return f'{attribute} t="e"><f>{error}</f><v>{error}</v></c>'


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
