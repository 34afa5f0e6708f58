"""Write the report workbook a seller acts on.

Sheets: Summary, Errors, Changes, Display prices, Push results, and Products: the seller's own
sheet with every bad cell filled red (warnings amber) and its message as a comment, with the
metadata sheet kept, so the report itself can be fixed and imported. Written with XlsxWriter in
constant-memory mode, so 100k-SKU reports stay within Excel's limits and little memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from .cells import Mark, RawSheet
from .fields import SHEET_META, SHEET_PRODUCTS, field_for_key, to_cell_number, to_cell_numbers, to_display
from .integrity import MARK_NAME, mark_formula
from .messages import (
    REPORT_HEADERS,
    next_step,
    report_header,
    say,
    sheet_name,
    status_words,
    target_words,
    value_word,
    with_store,
)
from .results import ERROR, ImportResult, Issue
from .sheetxml import not_a_value_cell, number_cells, row_template, rows_xml, text_cells, value_cell
from .xlsx import RowStreamWorksheet, output_workbook, style_index

ERROR_COLUMNS = ["sheet", "cell", "row", "field", "sku_id", "value", "rule", "message", "base", "current",
                 "severity"]
_FILL = {ERROR: "#FFC7CE", "warning": "#FFEB9C"}
_NUMBER_FORMATS = {"money": "0.00", "weight": "0.000", "dim": "0", "stock": "0"}
_CHUNK_ROWS = 1000
EXCEL_MAX_LINKS = 65_530  # per worksheet; XlsxWriter warns about and drops any beyond


def write_report(path: str | Path, result: ImportResult, raw: RawSheet | None, store_id: str,
                 lang: str = "en") -> None:
    """Write the report to `path`, whole or not at all: a report that fails half way (disk full,
    Ctrl-C) leaves the previous file as it was and raises `OutputFailed`."""
    with output_workbook(path) as book:
        _fill_report(book, result, raw, store_id, lang)


def _fill_report(book: xlsxwriter.Workbook, result: ImportResult, raw: RawSheet | None, store_id: str,
                 lang: str) -> None:
    fmt = _Formats(book)
    summary = book.add_worksheet(sheet_name("summary", lang))
    errors = book.add_worksheet(sheet_name("errors", lang))
    changes = book.add_worksheet(sheet_name("changes", lang))
    prices = book.add_worksheet(sheet_name("display_prices", lang), worksheet_class=RowStreamWorksheet)
    pushes = book.add_worksheet(sheet_name("push_results", lang))
    _summary(summary, result, store_id, lang, fmt)
    issues = [*result.errors, *result.warnings]
    _errors(errors, issues, fmt, lang, linked=raw is not None)
    _changes(changes, result, fmt, lang)
    _display_prices(prices, result.display_prices, fmt, lang)
    _push_results(pushes, result, fmt, lang)
    if result.freight_check is not None:
        _freight_check(book.add_worksheet(sheet_name("freight_check", lang)), result.freight_check, fmt, lang)
    if raw is not None:
        _marked_up(book.add_worksheet(SHEET_PRODUCTS, worksheet_class=RowStreamWorksheet), raw, issues, fmt)
        meta = book.add_worksheet(SHEET_META)
        for row, (key, value) in enumerate(raw.meta.items()):
            meta.write_string(row, 0, key)
            meta.write_string(row, 1, value)
        meta.very_hidden()
        if raw.export_mark is not None:  # copied as read, so the report is bound like the file was
            book.define_name(f"{SHEET_PRODUCTS}!{MARK_NAME}", mark_formula(raw.export_mark))
    summary.activate()


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.money = book.add_format({"num_format": "0.00"})
        self.weight = book.add_format({"num_format": "0.000"})
        self.link = book.add_format({"font_color": "#0563C1", "underline": 1})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self._cells: dict[tuple, Any] = {}

    def cell(self, kind: str | None, severity: str | None, quoted: bool = False) -> Any:
        key = (kind, severity, quoted)
        if key not in self._cells:
            props: dict[str, Any] = {"num_format": _NUMBER_FORMATS.get(kind or "", "@" if kind else "General"),
                                     "locked": False}
            if severity:
                props.update({"bg_color": _FILL[severity], "border": 1, "border_color": "#C00000"
                              if severity == ERROR else "#BF8F00"})
            if quoted:
                props["quote_prefix"] = True
            self._cells[key] = self.book.add_format(props)
        return self._cells[key]


def _header(key: str, lang: str) -> str:
    """A column's header in the report's language: its words for the report's own columns, a
    field's label in Chinese (its key in English, as scripts reading the report expect)."""
    if key in REPORT_HEADERS or key.startswith("display_price_"):
        return report_header(key, lang)
    f = field_for_key(key)
    return f.label(lang) if f and lang == "zh" else key


def _table_header(ws: Worksheet, names: Sequence[str], fmt: _Formats, widths: Sequence[int], lang: str) -> None:
    for col, (name, width) in enumerate(zip(names, widths, strict=True)):
        ws.write_string(0, col, _header(name, lang), fmt.head)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)


def _summary(ws: Worksheet, result: ImportResult, store_id: str, lang: str, fmt: _Formats) -> None:
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 90, fmt.wrap)
    ws.write_string(0, 0, say("summary_title", lang), fmt.title)
    exit_code = result.exit_code
    rows = [
        ("file", result.file), ("time", dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("store", store_id), ("target", target_words(result.target, lang)), ("saved_by", result.saved_by or "-"),
        ("run_id", result.run_id or "-"),
        ("status", say("summary_status_value", lang, status=value_word("status", result.status, lang),
                       words=status_words(result.status, lang, result.target, result.applied))),
        ("exit_code", exit_code),
        ("rows", result.rows), ("changed_skus", result.changed_skus), ("changes", result.changes),
        ("applied", result.applied), ("already_applied", result.already_applied), ("failed", result.failed),
        ("errors", len(result.errors)), ("warnings", len(result.warnings)),
        ("more_issues", ", ".join(f"{rule}: {count}" for rule, count in sorted(result.more_issues.items())) or "-"),
        ("next", with_store(next_step(result.status, lang), result.store)),
    ]
    for row, (key, value) in enumerate(rows, start=2):
        ws.write_string(row, 0, say(f"summary_{key}", lang), fmt.bold)
        ws.write(row, 1, value)


def _errors(ws: Worksheet, issues: list[Issue], fmt: _Formats, lang: str, linked: bool) -> None:
    """One row per problem; its cell links to the marked cell on the Products copy, for as many
    problems as Excel allows links on one sheet (the rest name the cell as plain text)."""
    _table_header(ws, ERROR_COLUMNS, fmt, [11, 8, 6, 18, 19, 16, 22, 90, 14, 14, 9], lang)
    links = 0
    for row, issue in enumerate(issues, start=1):
        data = issue.as_json()
        lines = -(-len(issue.message or "") // 100)  # rows do not grow by themselves: size them
        if lines > 1:
            ws.set_row(row, 15 * lines)
        for col, name in enumerate(ERROR_COLUMNS):
            value = value_word("severity", issue.severity, lang) if name == "severity" else data.get(name)
            if name == "cell" and value and linked and issue.sheet == SHEET_PRODUCTS and links < EXCEL_MAX_LINKS:
                ws.write_url(row, col, f"internal:'{SHEET_PRODUCTS}'!{value}", fmt.link, string=value)
                links += 1
            elif value is None:
                continue
            elif isinstance(value, str):
                ws.write_string(row, col, value, fmt.wrap if name == "message" else None)
            else:
                ws.write(row, col, value)
    if issues:
        ws.autofilter(0, 0, len(issues), len(ERROR_COLUMNS) - 1)


def _changes(ws: Worksheet, result: ImportResult, fmt: _Formats, lang: str) -> None:
    _table_header(ws, ["sku_id", "product_id", "field", "before", "after", "result"], fmt, [19, 18, 20, 40, 40, 12],
                  lang)
    for row, change in enumerate(result.change_list, start=1):
        f = field_for_key(change.field)
        kind = f.kind if f else "text"
        ws.write_string(row, 0, change.sku_id)
        ws.write_string(row, 1, change.product_id)
        ws.write_string(row, 2, change.field)
        ws.write_string(row, 3, _shown(kind, change.before, lang))
        ws.write_string(row, 4, _shown(kind, change.after, lang))
        ws.write_string(row, 5, value_word("result", change.result, lang))
    if result.change_list:
        ws.autofilter(0, 0, len(result.change_list), 5)


def _shown(kind: str, value: object, lang: str) -> str:
    """A changed value as the seller types it; a dropdown choice in the report's language."""
    if kind == "enum" and value is not None:
        return value_word("logistics_attribute", str(value), lang)
    return to_display(kind, value)


def _display_prices(ws: RowStreamWorksheet, table: pd.DataFrame | None, fmt: _Formats, lang: str) -> None:
    if table is None or table.empty:
        _table_header(ws, ["sku_id", "seller_price", "chargeable_weight_kg"], fmt, [19, 12, 12], lang)
        return
    names = list(table.columns)
    _table_header(ws, names, fmt, [19, 12, 12] + [10] * (len(names) - 3), lang)
    money, weight = style_index(fmt.money), style_index(fmt.weight)
    template = row_template([xl_col_to_name(col) for col in range(len(names))])

    def chunks() -> Iterator[str]:
        for start in range(0, len(table), _CHUNK_ROWS):
            part = table.iloc[start:start + _CHUNK_ROWS]
            columns = [text_cells(part[names[0]].astype(str).tolist(), 0, 0),
                       number_cells(_cell_numbers("money", part[names[1]]), money),
                       number_cells(_cell_numbers("weight", part[names[2]]), weight),
                       *(number_cells(_cell_numbers("money", part[name]), money) for name in names[3:])]
            yield rows_xml(template, range(start + 2, start + 2 + len(part)), columns)

    ws.append_rows_xml(1, len(table), len(names) - 1, chunks())
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, len(table), len(names) - 1)


def _cell_numbers(kind: str, column: pd.Series) -> list[float | int | None]:
    return to_cell_numbers(kind, column.to_numpy(dtype=float, na_value=np.nan))


def _push_results(ws: Worksheet, result: ImportResult, fmt: _Formats, lang: str) -> None:
    _table_header(ws, ["product_id", "sku_id", "status", "code", "message"], fmt, [18, 19, 12, 18, 80], lang)
    for row, push in enumerate(result.push_results, start=1):
        status = value_word("result", push.status, lang)
        for col, value in enumerate((push.product_id, push.sku_id, status, push.code, push.message)):
            if value is not None:
                ws.write_string(row, col, str(value))


def _freight_check(ws: Worksheet, table: pd.DataFrame, fmt: _Formats, lang: str) -> None:
    names = ["sku_id", "country", "chargeable_weight_kg", "bracket_up_to_kg", "rate_card_freight",
             "platform_freight", "difference"]
    _table_header(ws, names, fmt, [19, 8, 12, 12, 14, 14, 11], lang)
    for row, values in enumerate(table.itertuples(index=False), start=1):
        ws.write_string(row, 0, values.sku_id)
        ws.write_string(row, 1, values.country)
        ws.write_number(row, 2, to_cell_number("weight", values.chargeable_g), fmt.weight)
        ws.write_number(row, 3, to_cell_number("weight", values.bracket_max_g), fmt.weight)
        for col, cents in enumerate((values.rate_card_freight, values.platform_freight, values.difference), start=4):
            ws.write_number(row, col, to_cell_number("money", cents), fmt.money)
    if len(table):
        ws.autofilter(0, 0, len(table), len(names) - 1)


def _marked_up(ws: RowStreamWorksheet, raw: RawSheet, issues: list[Issue], fmt: _Formats) -> None:
    """The seller's sheet as read, with bad cells filled and commented, importable as it is."""
    kinds: dict[int, str] = {}
    for key, col in raw.columns.items():
        f = field_for_key(key)
        if f:
            kinds[col] = f.kind
    marks: dict[tuple[int, int], tuple[str, list[str]]] = {}
    for issue in issues:
        if issue.sheet == SHEET_PRODUCTS and issue.row is not None and issue.column is not None:
            severity, notes = marks.get((issue.row, issue.column), (issue.severity, []))
            if issue.severity == ERROR:
                severity = ERROR
            notes.append(issue.message)
            marks[(issue.row, issue.column)] = (severity, notes)
    width = max([len(r) for r in raw.header] + [max(map(len, raw.rows), default=1)])
    for col in range(width):
        ws.set_column(col, col, 14, fmt.cell(kinds.get(col), None))
    for row, values in enumerate(raw.header):
        for col, value in enumerate(values):
            _write_value(ws, row, col, value, fmt.head if row == 0 else None)
    for (row_number, col), (_, notes) in sorted(marks.items()):  # comments go before the rows stream
        if row_number > raw.header_rows:
            ws.write_comment(row_number - 1, col, "\n".join(notes), {"x_scale": 3, "y_scale": 2})
    if raw.rows:
        ws.append_rows_xml(raw.row_numbers[0] - 1, raw.row_numbers[-1] - 1, width - 1,
                           _marked_up_rows(raw, kinds, marks, fmt, width))
    ws.freeze_panes(raw.header_rows, 3)


def _marked_up_rows(raw: RawSheet, kinds: dict[int, str], marks: dict[tuple[int, int], tuple[str, list[str]]],
                    fmt: _Formats, width: int) -> Iterator[str]:
    """The seller's rows as XML, cell by cell in the cell's own kind; a row holding a marked cell
    takes that cell's fill. A cell that was not a value (an error, an uncomputed formula, under a
    merged range) stays one, so importing the fixed copy never reads it as cleared."""
    plain = [style_index(fmt.cell(kinds.get(col), None)) for col in range(width)]
    quoted = [style_index(fmt.cell(kinds.get(col), None, True)) for col in range(width)]
    marked_rows: dict[int, dict[int, str]] = {}
    for (row_number, col), (severity, _) in marks.items():
        marked_rows.setdefault(row_number, {})[col] = severity
    unreadable: dict[int, dict[int, Mark]] = {}
    for (row_number, col), mark in raw.unreadable_cells().items():
        if col < width:
            unreadable.setdefault(row_number, {})[col] = mark
    letters = [xl_col_to_name(col) for col in range(width)]
    templates: dict[int, str] = {}
    for start in range(0, len(raw.rows), _CHUNK_ROWS):
        out = []
        for values, row_number in zip(raw.rows[start:start + _CHUNK_ROWS], raw.row_numbers[start:start + _CHUNK_ROWS],
                                      strict=True):
            styles, quoted_styles = plain, quoted
            if row_number in marked_rows:
                styles, quoted_styles = list(plain), list(quoted)
                for col, severity in marked_rows[row_number].items():
                    styles[col] = style_index(fmt.cell(kinds.get(col), severity))
                    quoted_styles[col] = style_index(fmt.cell(kinds.get(col), severity, True))
            template = templates.get(len(values)) or templates.setdefault(len(values),
                                                                         row_template(letters[:len(values)]))
            cells = list(map(value_cell, values, styles, quoted_styles))
            for col, mark in unreadable.get(row_number, {}).items():
                if col < len(cells):
                    cells[col] = not_a_value_cell(mark, styles[col])
            out.append(template.format(row_number, *cells))
        yield "".join(out)


def _write_value(ws: Worksheet, row: int, col: int, value: Any, cell_format: Any) -> None:
    if value is None or value == "":
        if cell_format is not None:
            ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, cell_format)
    elif isinstance(value, dt.datetime | dt.date):
        ws.write_datetime(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)
