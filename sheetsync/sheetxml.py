"""The Products sheet's data rows as SpreadsheetML, a column at a time.

Why this exists: XlsxWriter spends about 3 µs of Python on every cell (argument checks, a tuple per
cell, attribute escaping, one write call per cell). At 100k SKUs × 49 columns that was two thirds
of the export. Here each column's cells are formatted in one pass over plain Python values and each
row is joined by one `str.format`, several times cheaper. The text is exactly what XlsxWriter's own
constant-memory writer produces for write_string / write_number / write_blank / write_formula with
a format (tests/test_sheetxml.py writes the same cells both ways and compares the sheet XML), so
Excel, LibreOffice and WPS read what they always read. XlsxWriter still writes everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .fields import needs_quote

# A literal "_xHHHH_" must be protected before control characters are stored in that notation.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")

_PRESERVE = ' xml:space="preserve">'  # keeps leading and trailing spaces

# Excel's limit for one cell, in UTF-16 code units.
EXCEL_TEXT_MAX = 32767


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_text(text: str) -> str:
    """Cell text as stored in the file: control characters as Excel's _xHHHH_ notation (XML 1.0
    cannot carry them), a literal _xHHHH_ protected as _x005F_xHHHH_, then XML's &, < and >."""
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def text_cells(values: Iterable[str], style: int, quoted_style: int) -> list[str]:
    """One column of text cells. Empty text is a formatted blank cell; text a spreadsheet would
    run as a formula gets the quote-prefix style, so it stays text."""
    blank = f' s="{style}"/>'
    plain = f' s="{style}" t="inlineStr"><is><t'
    quoted = f' s="{quoted_style}" t="inlineStr"><is><t'
    cells = []
    for text in values:
        if not text:
            cells.append(blank)
            continue
        start = quoted if needs_quote(text) else plain
        if _NEEDS_ESCAPE.search(text):
            text = escape_text(text)
            preserve = text[0].isspace() or text[-1].isspace()
            text = escape_xml(text)
        else:
            preserve = text[0].isspace() or text[-1].isspace()
        cells.append(f"{start}{_PRESERVE if preserve else '>'}{text}</t></is></c>")
    return cells


def number_cells(values: Iterable[float | int], style: int) -> list[str]:
    """One column of numbers, in XlsxWriter's notation (16 significant digits, shortest form)."""
    return [f' s="{style}"><v>{value:.16G}</v></c>' for value in values]


def formula_cells(formula: str, row_mark: str, rows: Iterable[int], cached: Iterable[float | str],
                  style: int) -> list[str]:
    """One column of the same formula on consecutive rows. `formula` (without "=") holds
    `row_mark` wherever the row number goes; `cached` is each cell's result as last computed,
    shown by viewers that do not recalculate ("" for none)."""
    parts = escape_xml(formula).split(row_mark)
    cells = []
    for row, value in zip(rows, cached, strict=True):
        kind = ' t="str"' if isinstance(value, str) and value else ""
        cells.append(f' s="{style}"{kind}><f>{str(row).join(parts)}</f><v>{escape_xml(str(value))}</v></c>')
    return cells


def row_template(letters: Sequence[str]) -> str:
    """`template.format(row_number, *cells)` is one <row> element of cells made above."""
    cells = "".join(f'<c r="{letter}{{0}}"{{{i}}}' for i, letter in enumerate(letters, start=1))
    return f'<row r="{{0}}">{cells}</row>'


def rows_xml(template: str, first_row: int, columns: Sequence[Sequence[str]]) -> str:
    """Consecutive rows (1-based numbers from `first_row`) from cells made column by column."""
    return "".join(template.format(row, *cells) for row, cells in enumerate(zip(*columns, strict=True), first_row))
