"""Write the report workbook a seller acts on.

Sheets: Summary, Errors, Changes, Display prices, Push results, and Products: the seller's own
sheet with every bad cell filled red (warnings amber) and its message as a comment, with the
metadata sheet kept, so the report itself can be fixed and imported. Written with XlsxWriter in
constant-memory mode, so 100k-SKU reports stay within Excel's limits and little memory.

Each table is headed by one row of labels in the report's language (a field's own label, as in
the template; `messages.REPORT_COLUMNS` for the others), data from row 2; every column is at least
as wide as its label. One row, not labels over keys as on the Products sheet: a program reading a
table takes the row under its header as data (../shared/checks/roundtrip.py does), and most English
labels read as their keys once lower-cased with spaces as underscores (SKU ID → sku_id, Display
price US → display_price_us; docs/architecture.md lists the others). The Products copy has the
template's look (`sheetlook`): formats, widths, dropdowns and checks, read-only grey, and the live
display-price preview, so fixing it feels like fixing the template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from .cells import Mark, RawSheet
from .config import DEFAULT_STORE
from .fields import SHEET_META, SHEET_PRODUCTS, Field, field_for_key, to_cell_number, to_cell_numbers, to_display
from .integrity import MARK_NAME, mark_formula
from .messages import (
    next_step,
    orders_next_step,
    say,
    sheet_name,
    status_words,
    target_words,
    value_word,
    with_store,
)
from .orders.fields import ORDER_BY_KEY, SHEET_ORDERS
from .preview import rate_rows
from .pricing import RateCard
from .results import ERROR, ImportResult, Issue

if TYPE_CHECKING:
    from .orders.model import OrdersResult
from .sheetlook import (
    FROZEN_COLUMNS,
    ROW_MARK,
    Formats,
    column_field,
    column_label,
    due_highlight,
    fitting_width,
    lists_sheet,
    preview_formula,
    rates_sheet,
    validations,
    write_header,
)
from .sheetxml import formula_cells, not_a_value_cell, number_cells, row_template, rows_xml, text_cells, value_cell
from .xlsx import RowStreamWorksheet, output_workbook, style_index

ERROR_COLUMNS = ["severity", "sheet", "cell", "row", "field", "sku_id", "value", "rule", "message", "base",
                 "current"]
CHANGE_COLUMNS = ["sku_id", "sku_code", "title", "row", "product_id", "field", "before", "after", "result"]
PUSH_COLUMNS = ["product_id", "sku_id", "status", "code", "message"]
FREIGHT_COLUMNS = ["sku_id", "country", "chargeable_weight_kg", "bracket_up_to_kg", "rate_card_freight",
                   "platform_freight", "difference"]
TABLE_HEADER_ROWS = 1  # the labels: data from row 2
_CHUNK_ROWS = 1000
EXCEL_MAX_LINKS = 65_530  # per worksheet; XlsxWriter warns about and drops any beyond


def write_report(path: str | Path, result: ImportResult, raw: RawSheet | None, store_id: str,
                 lang: str = "en", card: RateCard | None = None) -> None:
    """Write the report to `path`, whole or not at all: a report that fails half way (disk full,
    Ctrl-C) leaves the previous file as it was and raises `OutputFailed`. `card` is the rate card
    the import priced with: the Products copy's live preview looks freight up in it (None: the
    preview columns keep the values read)."""
    with output_workbook(path) as book:
        _fill_report(book, result, raw, store_id, lang, card)


def _fill_report(book: xlsxwriter.Workbook, result: ImportResult, raw: RawSheet | None, store_id: str,
                 lang: str, card: RateCard | None) -> None:
    fmt = _Formats(book)
    summary = book.add_worksheet(sheet_name("summary", lang))
    errors = book.add_worksheet(sheet_name("errors", lang))
    changes = book.add_worksheet(sheet_name("changes", lang))
    prices = book.add_worksheet(sheet_name("display_prices", lang), worksheet_class=RowStreamWorksheet)
    pushes = book.add_worksheet(sheet_name("push_results", lang))
    _summary(summary, result, store_id, lang, fmt)
    issues = [*result.errors, *result.warnings]
    _errors(errors, issues, fmt, linked=raw is not None, lang=lang)
    _changes(changes, result, fmt, lang)
    _display_prices(prices, result.display_prices, fmt, lang)
    _push_results(pushes, result, fmt, lang)
    if result.freight_check is not None:
        _freight_check(book.add_worksheet(sheet_name("freight_check", lang)), result.freight_check, fmt, lang)
    if raw is not None:
        products = book.add_worksheet(SHEET_PRODUCTS, worksheet_class=RowStreamWorksheet)
        meta = book.add_worksheet(SHEET_META)
        for row, (key, value) in enumerate(raw.meta.items()):
            meta.write_string(row, 0, key)
            meta.write_string(row, 1, value)
        meta.very_hidden()
        if raw.export_mark is not None:  # copied as read, so the report is bound like the file was
            book.define_name(f"{SHEET_PRODUCTS}!{MARK_NAME}", mark_formula(raw.export_mark))
        _marked_up(products, raw, issues, fmt, lang, card)
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
        self.look = Formats(book)  # the Products copy's: the template's own


def _table_header(ws: Worksheet, keys: Sequence[str], fmt: _Formats, widths: Sequence[int], lang: str) -> None:
    """Row 1 the columns' labels in `lang`, each column wide enough for its label."""
    for col, (key, width) in enumerate(zip(keys, widths, strict=True)):
        label = column_label(key, lang)
        ws.write_string(0, col, label, fmt.head)
        ws.set_column(col, col, fitting_width(label, width))
    ws.freeze_panes(TABLE_HEADER_ROWS, 0)


def _filter(ws: Worksheet, rows: int, columns: int) -> None:
    """An autofilter over a table of `rows` data rows, on its header."""
    if rows:
        ws.autofilter(TABLE_HEADER_ROWS - 1, 0, TABLE_HEADER_ROWS - 1 + rows, columns - 1)


def _summary(ws: Worksheet, result: ImportResult, store_id: str, lang: str, fmt: _Formats) -> None:
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 90, fmt.wrap)
    ws.write_string(0, 0, say("summary_title", lang), fmt.title)
    exit_code = result.exit_code
    rows = [
        ("file", result.file), ("time", dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("store", _store_shown(result.store, store_id)), ("target", target_words(result.target, lang)),
        ("saved_by", result.saved_by or "-"), ("run_id", result.run_id or "-"),
        ("status", status_words(result.status, lang, result.target, result.applied)),
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


def _store_shown(store: str | None, store_id: str) -> str:
    """The store as the seller named it (`store`: the --store given, None for the default file),
    its id in brackets: the id alone says nothing to a seller with several catalogs."""
    name = store or DEFAULT_STORE
    return f"{name} ({store_id})" if store_id else name


def _errors(ws: Worksheet, issues: list[Issue], fmt: _Formats, linked: bool, lang: str = "en",
            sheet: str = SHEET_PRODUCTS) -> None:
    """One row per problem, its severity first; its cell links to the marked cell on the copy of
    the seller's sheet (Products, or Orders), for as many problems as Excel allows links on one
    sheet (the rest name the cell as plain text)."""
    _table_header(ws, ERROR_COLUMNS, fmt, [9, 11, 8, 6, 18, 19, 16, 22, 90, 14, 14], lang)
    links = 0
    for row, issue in enumerate(issues, start=TABLE_HEADER_ROWS):
        data = issue.as_json()
        lines = -(-len(issue.message or "") // 100)  # rows do not grow by themselves: size them
        if lines > 1:
            ws.set_row(row, 15 * lines)
        for col, name in enumerate(ERROR_COLUMNS):
            value = value_word("severity", issue.severity, lang) if name == "severity" else data.get(name)
            if name == "cell" and value and linked and issue.sheet == sheet and links < EXCEL_MAX_LINKS:
                ws.write_url(row, col, f"internal:'{sheet}'!{value}", fmt.link, string=value)
                links += 1
            elif value is None:
                continue
            elif isinstance(value, str):
                ws.write_string(row, col, value, fmt.wrap if name == "message" else None)
            else:
                ws.write(row, col, value)
    _filter(ws, len(issues), len(ERROR_COLUMNS))


def _changes(ws: Worksheet, result: ImportResult, fmt: _Formats, lang: str) -> None:
    """One row per changed cell, with what the seller recognises the SKU by (its code, its title,
    its row in the sheet) beside its id."""
    _table_header(ws, CHANGE_COLUMNS, fmt, [19, 16, 40, 6, 18, 20, 24, 24, 12], lang)
    for row, change in enumerate(result.change_list, start=TABLE_HEADER_ROWS):
        f = field_for_key(change.field)
        kind = f.kind if f else "text"
        for col, value in enumerate((change.sku_id, change.sku_code, change.title)):
            if value:
                ws.write_string(row, col, value)
        if change.row is not None:
            ws.write_number(row, 3, change.row)
        ws.write_string(row, 4, change.product_id)
        ws.write_string(row, 5, change.field)
        ws.write_string(row, 6, _shown(kind, change.before, lang))
        ws.write_string(row, 7, _shown(kind, change.after, lang))
        ws.write_string(row, 8, value_word("result", change.result, lang))
    _filter(ws, len(result.change_list), len(CHANGE_COLUMNS))


def _shown(kind: str, value: object, lang: str) -> str:
    """A changed value as the seller types it; a dropdown choice in the report's language."""
    if kind == "enum" and value is not None:
        return value_word("logistics_attribute", str(value), lang)
    return to_display(kind, value)


_DISPLAY_FIRST = ["sku_id", "sku_code", "title", "row", "seller_price", "chargeable_weight_kg"]


def _display_prices(ws: RowStreamWorksheet, table: pd.DataFrame | None, fmt: _Formats, lang: str) -> None:
    """One row per SKU: what the seller knows it by, seller price, chargeable weight, then the
    display price in every country (empty where not sold)."""
    widths = [19, 16, 40, 6, 12, 12]
    if table is None or table.empty:
        _table_header(ws, _DISPLAY_FIRST, fmt, widths, lang)
        return
    names = list(table.columns)
    _table_header(ws, names, fmt, widths + [10] * (len(names) - len(widths)), lang)
    money, weight = style_index(fmt.money), style_index(fmt.weight)
    template = row_template([xl_col_to_name(col) for col in range(len(names))])

    def chunks() -> Iterator[str]:
        for start in range(0, len(table), _CHUNK_ROWS):
            part = table.iloc[start:start + _CHUNK_ROWS]
            columns = [*(text_cells(part[name].fillna("").astype(str).tolist(), 0, 0) for name in names[:3]),
                       number_cells(part[names[3]].tolist(), 0),
                       number_cells(_cell_numbers("money", part[names[4]]), money),
                       number_cells(_cell_numbers("weight", part[names[5]]), weight),
                       *(number_cells(_cell_numbers("money", part[name]), money) for name in names[6:])]
            first = start + TABLE_HEADER_ROWS + 1
            yield rows_xml(template, range(first, first + len(part)), columns)

    ws.append_rows_xml(TABLE_HEADER_ROWS, TABLE_HEADER_ROWS - 1 + len(table), len(names) - 1, chunks())
    ws.freeze_panes(TABLE_HEADER_ROWS, 1)
    _filter(ws, len(table), len(names))


def _cell_numbers(kind: str, column: pd.Series) -> list[float | int | None]:
    return to_cell_numbers(kind, column.to_numpy(dtype=float, na_value=np.nan))


def _push_results(ws: Worksheet, result: ImportResult, fmt: _Formats, lang: str) -> None:
    _table_header(ws, PUSH_COLUMNS, fmt, [18, 19, 12, 18, 80], lang)
    for row, push in enumerate(result.push_results, start=TABLE_HEADER_ROWS):
        status = value_word("result", push.status, lang)
        for col, value in enumerate((push.product_id, push.sku_id, status, push.code, push.message)):
            if value is not None:
                ws.write_string(row, col, str(value))


def _freight_check(ws: Worksheet, table: pd.DataFrame, fmt: _Formats, lang: str) -> None:
    _table_header(ws, FREIGHT_COLUMNS, fmt, [19, 8, 12, 12, 14, 14, 11], lang)
    for row, values in enumerate(table.itertuples(index=False), start=TABLE_HEADER_ROWS):
        ws.write_string(row, 0, values.sku_id)
        ws.write_string(row, 1, values.country)
        ws.write_number(row, 2, to_cell_number("weight", values.chargeable_g), fmt.weight)
        ws.write_number(row, 3, to_cell_number("weight", values.bracket_max_g), fmt.weight)
        for col, cents in enumerate((values.rate_card_freight, values.platform_freight, values.difference), start=4):
            ws.write_number(row, col, to_cell_number("money", cents), fmt.money)
    _filter(ws, len(table), len(FREIGHT_COLUMNS))


def _marked_up(ws: RowStreamWorksheet, raw: RawSheet, issues: list[Issue], fmt: _Formats, lang: str,
               card: RateCard | None, field_of: Callable[[object], Field | None] = column_field) -> None:
    """The seller's sheet as read, in its workbook's look, with bad cells filled and commented,
    importable as it is. Its preview columns are live again, over the rate card the import used.
    `field_of` gives a column's field by its key (the Products sheet's by default; the Orders
    sheet's for the orders report)."""
    width = max([len(r) for r in raw.header] + [max(map(len, raw.rows), default=1)])
    keys = _column_keys(raw, width)
    columns = [field_of(key) for key in keys]
    marks: dict[tuple[int, int], tuple[str, list[str]]] = {}
    for issue in issues:
        if issue.sheet == raw.sheet and issue.row is not None and issue.column is not None:
            severity, notes = marks.get((issue.row, issue.column), (issue.severity, []))
            if issue.severity == ERROR:
                severity = ERROR
            notes.append(issue.message)
            marks[(issue.row, issue.column)] = (severity, notes)
    header = [[*values, *[None] * (width - len(values))] for values in raw.header]
    write_header(ws, columns, header[0], header[1] if len(header) > 1 else [], fmt.look, lang)
    for (row_number, col), (_, notes) in sorted(marks.items()):  # comments go before the rows stream
        if row_number > raw.header_rows:
            ws.write_comment(row_number - 1, col, "\n".join(notes), {"x_scale": 3, "y_scale": 2})
    letters = {key: xl_col_to_name(col) for key, col in raw.columns.items()}
    previews = [key for key in keys if key and key.startswith("display_price_")]
    table, blocks = rate_rows(card, [key.removeprefix("display_price_") for key in previews]) if card else ([], {})
    formulas = {col: formula for col, key in enumerate(keys)
                if key in previews and (formula := preview_formula(key, blocks, letters, lang)) is not None}
    if raw.rows:
        ws.append_rows_xml(raw.row_numbers[0] - 1, raw.row_numbers[-1] - 1, width - 1,
                           _marked_up_rows(raw, columns, marks, fmt.look, width, formulas))
    last = raw.row_numbers[-1] - 1 if raw.rows else raw.header_rows
    ws.freeze_panes(raw.header_rows, FROZEN_COLUMNS)
    ws.autofilter(raw.header_rows - 1, 0, last, width - 1)
    validations(ws, columns, raw.header_rows, last, lang)
    for col, f in enumerate(columns):
        if f is not None and f.kind == "datetime":  # the Orders deadline: due within 24 hours, as exported
            due_highlight(fmt.book, ws, col, raw.header_rows, last)
    lists_sheet(fmt.book, lang)
    rates_sheet(fmt.book, table)


def _column_keys(raw: RawSheet, width: int) -> list[str | None]:
    """Each column's key: sheetsync's columns as the import found them, and the preview columns by
    their key in row 2 (the import skips them); None for a column of the seller's own."""
    keys: list[str | None] = [None] * width
    if raw.header_rows > 1:
        for col, key in enumerate(raw.header[1][:width]):
            if isinstance(key, str) and key.startswith("display_price_"):
                keys[col] = key
    for key, col in raw.columns.items():
        keys[col] = key
    return keys


def _marked_up_rows(raw: RawSheet, columns: list[Field | None], marks: dict[tuple[int, int], tuple[str, list[str]]],
                    look: Formats, width: int, formulas: dict[int, str]) -> Iterator[str]:
    """The seller's rows as XML, cell by cell in the cell's own kind and its column's look; a
    marked cell takes its severity's fill. A cell that was not a value (an error, an uncomputed
    formula, under a merged range) stays one, so importing the fixed copy never reads it as
    cleared. A preview cell is its live formula again, with the value read as its cached result."""
    plain = [style_index(look.cell(columns[col])) for col in range(width)]
    quoted = [style_index(look.cell(columns[col], True)) for col in range(width)]
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
        rows = raw.rows[start:start + _CHUNK_ROWS]
        numbers = raw.row_numbers[start:start + _CHUNK_ROWS]
        live = {col: formula_cells(formula, ROW_MARK, numbers, [_cached(values[col]) for values in rows], plain[col])
                for col, formula in formulas.items()}
        out = []
        for offset, (values, row_number) in enumerate(zip(rows, numbers, strict=True)):
            styles, quoted_styles = plain, quoted
            if row_number in marked_rows:
                styles, quoted_styles = list(plain), list(quoted)
                for col, severity in marked_rows[row_number].items():
                    styles[col] = style_index(look.cell(columns[col], False, severity))
                    quoted_styles[col] = style_index(look.cell(columns[col], True, severity))
            template = templates.get(len(values)) or templates.setdefault(len(values),
                                                                         row_template(letters[:len(values)]))
            cells = list(map(value_cell, values, styles, quoted_styles))
            for col, mark in unreadable.get(row_number, {}).items():
                if col < len(cells):
                    cells[col] = not_a_value_cell(mark, styles[col])
            for col, formula in formulas.items():
                if col < len(cells):
                    cells[col] = live[col][offset] if styles[col] == plain[col] else formula_cells(
                        formula, ROW_MARK, [row_number], [_cached(values[col])], styles[col])[0]
            out.append(template.format(row_number, *cells))
        yield "".join(out)


def _cached(value: Any) -> float | str:
    """A preview cell's value as read, as its formula's cached result ("" for none)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return value if isinstance(value, str) else ""


# -- the orders report (issue 14) ------------------------------------------------------------------
ACTION_COLUMNS = ["order", "action", "result", "delivery_no", "delivery", "code", "message"]


def write_orders_report(path: str | Path, result: OrdersResult, raw: RawSheet | None, store_id: str,
                        lang: str = "en") -> None:
    """The orders import's report, whole or not at all: Summary, Errors, Actions (one row per
    order and action: what was sent, how it ended, the delivery number, the platform's code and
    message) and the seller's Orders sheet marked up in the Orders workbook's look, importable as
    it is once fixed."""
    with output_workbook(path) as book:
        fmt = _Formats(book)
        summary = book.add_worksheet(sheet_name("summary", lang))
        errors = book.add_worksheet(sheet_name("errors", lang))
        actions = book.add_worksheet(sheet_name("actions", lang))
        _orders_summary(summary, result, store_id, lang, fmt)
        issues = [*result.errors, *result.warnings]
        sheet = raw.sheet if raw is not None else SHEET_ORDERS
        _errors(errors, issues, fmt, linked=raw is not None, lang=lang, sheet=sheet)
        _table_header(actions, ACTION_COLUMNS, fmt, [19, 20, 16, 18, 40, 14, 60], lang)
        row = TABLE_HEADER_ROWS - 1
        for action in [*result.actions, *result.already]:
            for number in action.orders:
                row += 1
                values = (number, value_word("action", action.kind, lang), value_word("result", action.result, lang),
                          action.delivery_no,
                          action.delivery.shown(lang) if action.delivery else None, action.code, action.message)
                for col, value in enumerate(values):
                    if value is not None:
                        actions.write_string(row, col, str(value))
        _filter(actions, row - TABLE_HEADER_ROWS + 1, len(ACTION_COLUMNS))
        if raw is not None:
            _marked_up(book.add_worksheet(sheet, worksheet_class=RowStreamWorksheet), raw, issues, fmt, lang, None,
                       lambda key: ORDER_BY_KEY.get(key) if isinstance(key, str) else None)
            meta = book.add_worksheet(SHEET_META)
            for number, (key, value) in enumerate(raw.meta.items()):
                meta.write_string(number, 0, key)
                meta.write_string(number, 1, value)
            meta.very_hidden()
            if raw.export_mark is not None:
                book.define_name(f"{sheet}!{MARK_NAME}", mark_formula(raw.export_mark))
        summary.activate()


def _orders_summary(ws: Worksheet, result: OrdersResult, store_id: str, lang: str, fmt: _Formats) -> None:
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 90, fmt.wrap)
    ws.write_string(0, 0, say("summary_orders_title", lang), fmt.title)
    rows = [
        ("file", result.file), ("time", dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("store", _store_shown(result.store, store_id)), ("target", target_words(result.target, lang)),
        ("run_id", result.run_id or "-"), ("status", status_words(result.status, lang, result.target, result.applied)),
        ("exit_code", result.exit_code), ("rows", result.rows), ("orders", result.orders),
        ("actions", result.changes), ("applied", result.applied), ("already_applied", result.already_applied),
        ("failed", result.failed), ("errors", len(result.errors)), ("warnings", len(result.warnings)),
        ("next", with_store(orders_next_step(result.status, lang), result.store)),
    ]
    for row, (key, value) in enumerate(rows, start=2):
        ws.write_string(row, 0, say(f"summary_{key}", lang), fmt.bold)
        ws.write(row, 1, value)
