"""The look of a Products sheet, one definition for the export and for the report's copy of it.

Why one module: the report's Products sheet is where a seller fixes the red cells and which they
import as it is, so it must feel like the template they know: the same number formats, column
widths, label and key rows, read-only grey, dropdown and whole-number checks, and the live
display-price preview. `template` writes the export with these pieces, `report` the copy (adding
the red and amber marks); neither may import the other (docs/architecture.md), so they share this.
Like `xlsx`, it is an adapter over XlsxWriter used by both writers, not an edge of its own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_col_to_name

from .fields import LOGISTICS_ATTRIBUTES, SHEET_LISTS, Field, display_price_field, field_for_key
from .messages import message, report_column, say, value_word
from .preview import RATE_HEADER, SHEET_RATES, RateBlock, display_price_formula

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

# A kind missing here is text ("@"). The Orders sheet's date-time and counts are numbers too: shown
# as text, the report's copy showed a deadline as 46367.0965 and read it back as a changed number.
NUMBER_FORMATS = {"money": "0.00", "weight": "0.000", "dim": "0", "stock": "0", "preview": "0.00",
                  "datetime": "yyyy-mm-dd hh:mm", "count": "0", "boxes": "0"}
FROZEN_COLUMNS = 3  # product_id, title, sku_id
ROW_MARK = "\x00"  # stands for the row number in a preview formula
FILLS = {"error": ("#FFC7CE", "#C00000"), "warning": ("#FFEB9C", "#BF8F00")}  # a marked cell: fill, border
_PREVIEW = "display_price_"


class Formats:
    """Cell formats of a Products sheet, created once per workbook and shared."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self._cache: dict[tuple, Any] = {}
        self.label = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                      "valign": "top", "locked": True})
        self.label_readonly = book.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1,
                                               "text_wrap": True, "valign": "top", "locked": True})
        self.key = book.add_format({"font_size": 8, "font_color": "#808080", "locked": True})

    def header(self, f: Field | None) -> Any:
        """A label cell: blue over a column the seller edits, grey over a read-only one."""
        return self.label if f is None or f.editable else self.label_readonly

    def cell(self, f: Field | None, quoted: bool = False, severity: str | None = None) -> Any:
        """A data cell of column `f` (None: a column of the seller's own, left General and
        editable); `quoted` for text a spreadsheet would run as a formula; `severity` fills a cell
        the report marks (red for an error, amber for a warning) over its usual look."""
        key = (f.kind if f else None, f.editable if f else True, quoted, severity)
        if key not in self._cache:
            props: dict[str, Any] = {"locked": not key[1],
                                     "num_format": NUMBER_FORMATS.get(f.kind, "@") if f else "General"}
            if not key[1]:
                props.update({"bg_color": "#F2F2F2", "font_color": "#595959"})
            if severity:
                fill, border = FILLS[severity]
                props.update({"bg_color": fill, "border": 1, "border_color": border})
            if quoted:
                props["quote_prefix"] = True
            self._cache[key] = self.book.add_format(props)
        return self._cache[key]


def column_field(key: object) -> Field | None:
    """The field of a Products column by its key, the preview's included (None: not sheetsync's)."""
    if not isinstance(key, str):
        return None
    if key.startswith(_PREVIEW) and len(key) > len(_PREVIEW):
        return display_price_field(key.removeprefix(_PREVIEW))
    return field_for_key(key)


def column_label(key: str, lang: str) -> str:
    """A report column's header in the report's language: a field's own label (the template's),
    else the report's word for it (messages.REPORT_COLUMNS)."""
    f = column_field(key)
    return f.label(lang) if f else report_column(key, lang)


def text_width(text: str) -> int:
    """Columns of a cell's width a text takes: a wide (CJK) character counts twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fitting_width(header: str, width: int) -> int:
    """A column at least `width` wide and wide enough to show its header whole on one line (bold
    text is a little wider, hence the margin)."""
    return max(width, text_width(header) + 3)


def write_header(ws: Worksheet, columns: Sequence[Field | None], labels: Sequence[object], keys: Sequence[object],
                 formats: Formats, lang: str) -> None:
    """Row 1 the labels (with each field's help as a comment), row 2 the keys in small grey text,
    and every column's width and data format (a column of the seller's own: 14 wide, General).
    `keys` empty: a sheet whose key row was deleted."""
    for col, f in enumerate(columns):
        ws.set_column(col, col, f.width if f else 14, formats.cell(f))
        _write(ws, 0, col, labels[col], formats.header(f))
        if f and f.help(lang):
            ws.write_comment(0, col, f.help(lang), {"x_scale": 2, "y_scale": 1.2})
    ws.set_row(0, 32)
    for col, key in enumerate(keys):
        _write(ws, 1, col, key, formats.key)


def _write(ws: Worksheet, row: int, col: int, value: object, cell_format: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        ws.write_number(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)


def validations(ws: Worksheet, columns: Sequence[Field | None], first: int, last: int, lang: str) -> None:
    """Checks on the editable columns (their help shown on an error), and on the read-only ones an
    input message, shown when a cell is selected, saying that an edit there is ignored. Rows
    `first` to `last`, 0-based."""
    for col, f in enumerate(columns):
        if f is None:
            continue
        rule: dict[str, Any] | None = None
        if not f.editable:
            rule = {"validate": "any", "input_title": message("read_only_title", lang)[:32],
                    "input_message": message("read_only_help", lang)[:255]}
            ws.data_validation(first, col, last, col, rule)
            continue
        if f.kind == "enum":
            rule = {"validate": "list", "source": f"={SHEET_LISTS}!$A$1:$A${len(LOGISTICS_ATTRIBUTES)}"}
        elif f.kind in ("stock", "dim"):
            rule = {"validate": "integer", "criteria": "between", "minimum": f.min_value, "maximum": f.max_value}
        elif f.kind == "money":
            rule = {"validate": "decimal", "criteria": "between", "minimum": 0.01, "maximum": 999999}
        elif f.kind == "weight":
            rule = {"validate": "decimal", "criteria": "between", "minimum": 0.001, "maximum": 500}
        if rule is None:
            continue
        rule.update({"error_title": f.label(lang)[:32], "error_message": f.help(lang)[:255],
                     "input_title": f.label(lang)[:32], "input_message": f.help(lang)[:255],
                     "show_input": False})
        ws.data_validation(first, col, last, col, rule)


def due_highlight(book: xlsxwriter.Workbook, ws: Worksheet, col: int, first: int, last: int) -> None:
    """A date-time column's cells due within 24 hours of now highlighted, live (NOW() moves as the
    sheet stays open), on rows `first` to `last` (0-based): the export's and the report's copy alike."""
    letter, row = xl_col_to_name(col), first + 1
    due = book.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700", "bold": True})
    ws.conditional_format(first, col, last, col, {
        "type": "formula", "criteria": f"=AND(ISNUMBER(${letter}{row}),${letter}{row}-NOW()<1)", "format": due})


def lists_sheet(book: xlsxwriter.Workbook, lang: str) -> None:
    """The hidden sheet the logistics attribute's dropdown lists (Excel drops inline lists over
    255 characters), in the workbook's language: the import reads either language's words."""
    lists = book.add_worksheet(SHEET_LISTS)
    lists.write_column(0, 0, [value_word("logistics_attribute", value, lang) for value in LOGISTICS_ATTRIBUTES])
    lists.hide()


def rates_sheet(book: xlsxwriter.Workbook, table: Sequence[tuple]) -> None:
    """The hidden rate card the preview formulas look freight up in (`preview.rate_rows`); no
    sheet for no rows."""
    if table:
        ws = book.add_worksheet(SHEET_RATES)
        ws.write_row(0, 0, RATE_HEADER)
        for row, values in enumerate(table, start=1):
            ws.write_string(row, 0, values[0])
            for col, value in enumerate(values[1:], start=1):
                ws.write_number(row, col, value)
        ws.hide()


def preview_formula(key: str, blocks: dict[str, RateBlock], letters: dict[str, str], lang: str) -> str | None:
    """A preview column's formula without its "=", with ROW_MARK where the row number goes; None
    when the rate card does not price its country or a column it reads is missing."""
    country = key.removeprefix(_PREVIEW)
    needed = ("seller_price", "weight_kg", "length_cm", "width_cm", "height_cm", f"stock_{country}")
    if country not in blocks or any(k not in letters for k in needed):
        return None
    return display_price_formula(blocks[country], ROW_MARK, letters, say("not_priced", lang))[1:]
