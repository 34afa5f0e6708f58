"""Write the export workbook: the Products sheet a seller edits, Instructions, and hidden metadata.

XlsxWriter in constant-memory mode streams rows to disk, so a 100k-SKU export needs little memory;
formats and validations are defined once per column. Excel-native details: frozen header and ID
columns, number formats, text identifiers, dropdowns from a hidden list sheet (Excel drops inline
lists over 255 characters), whole-number checks on stock, and the live display-price preview right
after the price, weight and size columns it is computed from.

The sheet is not protected: the Instructions say a seller may sort, delete rows, insert columns and
keep notes in a column of their own, and a protected sheet with locked cells refuses all four in
LibreOffice (Excel documents the same). Read-only columns are grey instead, with an input message
saying they are ignored on import; the import warns on any edit to them, so nothing relies on
protection (a re-save by another program may drop it anyway). Their cells stay `locked`, so a seller
who protects the sheet themselves locks exactly the read-only columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from .config import Country
from .errors import ConfigError
from .fields import (
    HEADER_ROWS,
    SHEET_META,
    SHEET_PRODUCTS,
    TEMPLATE_VERSION,
    Field,
    display_price_field,
    fields_for,
    needs_quote,
    to_cell_numbers,
)
from .integrity import MARK_NAME, mark_formula
from .messages import message, say, sheet_name, value_word
from .preview import RateBlock, rate_rows
from .pricing import RateCard
from .sheetlook import (
    FROZEN_COLUMNS,
    NUMBER_FORMATS,
    ROW_MARK,
    Formats,
    due_highlight,
    lists_sheet,
    preview_formula,
    rates_sheet,
    validations,
    write_header,
)
from .sheetxml import (
    EXCEL_TEXT_MAX,
    formula_cells,
    number_cells,
    row_template,
    rows_xml,
    text_cells,
)
from .xlsx import RowStreamWorksheet, output_workbook, style_index

_PREVIEW_AFTER = "height_cm"  # the preview follows the last column its formula reads but the stock
_CHUNK_ROWS = 1000
EXCEL_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class ExportMeta:
    store_id: str
    export_id: str
    exported_at: str
    lang: str
    countries: Sequence[str]
    signature: str
    import_command: str = "sheetsync import FILE.xlsx --report report.xlsx"  # the Instructions print it


INSTRUCTIONS = {
    "en": [
        "How to use this sheet",
        "1. Edit the white cells of the Products sheet: seller price, stock per country, weight and size, "
        "logistics attribute, SKU code, barcode, title.",
        "2. Grey cells are read-only (IDs, variant, currency, display prices). Changes to them are ignored.",
        "3. A stock of 0 means the SKU is not sold in that country. Never leave a cell empty: an empty cell is "
        "an error, not 'erase'. To clear a barcode, empty it.",
        "4. Keep one row per SKU. You may sort, filter, hide or delete rows (deleted rows are left as they are), "
        "insert columns and keep notes in a column of your own: sheetsync finds its columns by the keys in row 2.",
        "5. Do not add rows: sheetsync never creates products or SKUs.",
        "6. Save as .xlsx and run: {command}",
        "7. The report marks every problem in red with an explanation; fix it there and import the report itself.",
        "Display price = seller price + freight. Freight comes from the rate card by chargeable weight: the "
        "larger of the weight and length × width × height / volumetric divisor, rounded up to the gram.",
        "",
        "Columns",
    ],
    "zh": [
        "使用说明",
        "1. 在 Products 工作表中修改白色单元格：供货价、各国库存、重量和尺寸、物流属性、商家编码、条形码、标题。",
        "2. 灰色单元格为只读（编号、规格、币种、前台价），修改会被忽略。",
        "3. 库存为 0 表示该 SKU 不在该国销售。不要留空单元格：空单元格会被视为错误，而不是“清除”。条形码留空表示清除。",
        "4. 每个 SKU 一行。可以排序、筛选、隐藏或删除行（被删除的行保持不变），也可以插入列、在自己的列中写备注："
        "sheetsync 按第 2 行的键识别列。",
        "5. 不要新增行：sheetsync 不会新建商品或 SKU。",
        "6. 另存为 .xlsx 后运行：{command}",
        "7. 报告会把每个问题标红并说明原因；可直接在报告中修改并导入报告文件。",
        "前台价 = 供货价 + 运费。运费按计费重量从运费表计算：取实际重量与 长×宽×高/体积系数 中较大者，向上取整到克。",
        "",
        "列说明",
    ],
}


def _column_cells(f: Field, values: np.ndarray, formats: Formats) -> list[str]:
    """One column's cells for `sheetxml`, from canonical values (cents, grams, ints, text)."""
    style = style_index(formats.cell(f))
    if f.kind in NUMBER_FORMATS:
        return number_cells(to_cell_numbers(f.kind, values), style)
    return text_cells(values.tolist(), style, style_index(formats.cell(f, quoted=True)))


@dataclass(frozen=True)
class Preview:
    """Live display-price columns: the countries, the rate card behind the formulas, and the
    engine's prices (cents, <NA> where not sold) written as the formulas' cached results, so a
    viewer that does not recalculate still shows the right numbers."""

    countries: Sequence[str]
    card: RateCard
    prices: pd.DataFrame


def check_fits(frame: pd.DataFrame) -> None:
    """Refuse, before anything is written, a catalog that one Excel sheet cannot hold whole:
    a cut row or a cut title would come back on import as an edit."""
    if len(frame) > EXCEL_MAX_ROWS - HEADER_ROWS:
        raise ConfigError("export_too_many_rows", rows=len(frame), limit=EXCEL_MAX_ROWS - HEADER_ROWS)
    for key in frame.columns:
        if frame[key].dtype.kind in "iuf":
            continue
        # A character is at most two UTF-16 units, so only much longer texts need counting.
        for sku, text in frame.loc[frame[key].str.len() > EXCEL_TEXT_MAX // 2, key].items():
            length = len(text.encode("utf-16-le")) // 2
            if length > EXCEL_TEXT_MAX:
                raise ConfigError("export_text_too_long", sku=sku, field=key, length=length)


def sheet_columns(fields: Sequence[Field], preview_fields: Sequence[Field]) -> list[Field]:
    """The Products sheet's columns in order: the preview right after the price, weight and size
    columns it is computed from (where the eye is when editing them), then the logistics attribute
    and the stock columns. The import finds columns by key, so it does not depend on this order."""
    at = next(i for i, f in enumerate(fields) if f.key == _PREVIEW_AFTER) + 1
    return [*fields[:at], *preview_fields, *fields[at:]]


def write_workbook(path: str | Path, frame: pd.DataFrame, countries: Sequence[Country], meta: ExportMeta,
                   progress: Callable[[int], None] | None = None, preview: Preview | None = None) -> list[str]:
    """Write `frame` (the catalog, canonical values, one row per SKU in order) to `path`, whole or
    not at all: an interrupted export leaves the previous file as it was. Returns the countries of
    the preview columns written, in the sheet's order: what the export tells the seller."""
    with output_workbook(path) as book:
        return _fill_workbook(book, frame, countries, meta, progress, preview)


def _fill_workbook(book: xlsxwriter.Workbook, frame: pd.DataFrame, countries: Sequence[Country], meta: ExportMeta,
                   progress: Callable[[int], None] | None, preview: Preview | None) -> list[str]:
    lang = meta.lang
    codes = [c.code for c in countries]
    fields = fields_for(codes, {c.code: (c.name_en, c.name_zh) for c in countries})
    rate_table, blocks = rate_rows(preview.card, preview.countries) if preview else ([], {})
    # In the order of the stock columns, whatever the order asked for or the markets' ranking: a
    # column does not move between two exports of the same store.
    preview_codes = [c for c in codes if preview and c in preview.countries and c in blocks]
    columns = sheet_columns(fields, [display_price_field(c) for c in preview_codes])
    book.set_properties({"title": say("workbook_title", lang),
                         "comments": say("workbook_comment", lang, export_id=meta.export_id)})
    formats = Formats(book)
    ws = book.add_worksheet(SHEET_PRODUCTS, worksheet_class=RowStreamWorksheet)
    instructions = book.add_worksheet(sheet_name("instructions", lang))
    lists_sheet(book, lang)
    meta_ws = book.add_worksheet(SHEET_META)
    book.define_name(f"{SHEET_PRODUCTS}!{MARK_NAME}", mark_formula(meta.export_id))

    write_header(ws, columns, [f.label(lang) for f in columns], [f.key for f in columns], formats, lang)
    n = len(frame)
    if n:
        chunks = _data_rows(frame, columns, formats, preview, blocks, lang, progress)
        ws.append_rows_xml(HEADER_ROWS, HEADER_ROWS + n - 1, len(columns) - 1, chunks)
    last = HEADER_ROWS + max(n, 1) - 1
    ws.freeze_panes(HEADER_ROWS, FROZEN_COLUMNS)
    ws.autofilter(1, 0, last, len(columns) - 1)
    validations(ws, columns, HEADER_ROWS, last, lang)
    ws.activate()

    _write_instructions(instructions, columns, lang, book, meta.import_command)
    rates_sheet(book, rate_table)
    for row, (key, value) in enumerate([
        ("template_version", TEMPLATE_VERSION), ("store_id", meta.store_id), ("export_id", meta.export_id),
        ("exported_at", meta.exported_at), ("lang", lang), ("countries", ",".join(meta.countries)),
        ("signature", meta.signature),
    ]):
        meta_ws.write_string(row, 0, key)
        meta_ws.write_string(row, 1, value)
    meta_ws.very_hidden()
    return preview_codes


def _data_rows(frame: pd.DataFrame, columns: list[Field], formats: Formats, preview: Preview | None,
               blocks: dict[str, RateBlock], lang: str, progress: Callable[[int], None] | None) -> Iterator[str]:
    """The data rows as XML, a few thousand rows at a time: each column is converted from the
    frame's arrays in one pass, and only one chunk of cell strings exists at a time, so memory
    stays near the frame's own size. A preview column is a formula over the same row's cells, with
    the engine's price as its cached result."""
    letters = [xl_col_to_name(col) for col in range(len(columns))]
    template = row_template(letters)
    cell_letters = {f.key: letters[col] for col, f in enumerate(columns)}
    sources: list[tuple[Field, np.ndarray, str | None]] = []  # (field, values, formula or None)
    for f in columns:
        formula = preview_formula(f.key, blocks, cell_letters, lang) if f.kind == "preview" else None
        if formula is not None and preview is not None:
            sources.append((f, preview.prices[f.key].to_numpy(dtype=float, na_value=np.nan), formula))
        elif f.kind == "enum":  # the dropdown's words, which the import reads back as the same values
            words = frame[f.key].map(lambda value: value_word("logistics_attribute", value, lang))
            sources.append((f, words.to_numpy(), None))
        else:
            sources.append((f, frame[f.key].to_numpy(), None))
    preview_style = style_index(formats.cell(display_price_field("")))
    for start in range(0, len(frame), _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, len(frame))
        rows = range(HEADER_ROWS + start + 1, HEADER_ROWS + stop + 1)
        cells = []
        for f, values, formula in sources:
            if formula is None:
                cells.append(_column_cells(f, values[start:stop], formats))
            else:
                cached = ["" if price is None else price for price in to_cell_numbers("money", values[start:stop])]
                cells.append(formula_cells(formula, ROW_MARK, rows, cached, preview_style))
        yield rows_xml(template, rows, cells)
        if progress:
            progress(stop - start)


def _write_instructions(ws: Worksheet, fields: list[Field], lang: str, book: xlsxwriter.Workbook,
                        command: str) -> None:
    """The how-to, with the import command that works for this file and store as it is, then the
    column table in the Products sheet's own order."""
    title = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 100, wrap)
    lines = [line.replace("{command}", command) for line in INSTRUCTIONS[lang]]
    ws.write_string(0, 0, lines[0], title)
    for row, line in enumerate(lines[1:], start=1):
        ws.write_string(row, 0, line, bold if line == lines[-1] else None)
    row = len(lines)
    header = (say("instructions_key", lang), say("instructions_label", lang), say("instructions_rule", lang))
    for col, text in enumerate(header):
        ws.write_string(row, col, text, bold)
    grouped = {  # one row for a column per country, where its first column is
        "stock": ("stock_<CC>", say("instructions_stock", lang), message("stock_help", lang)),
        "preview": ("display_price_<CC>", say("instructions_preview", lang), message("preview_help", lang)),
    }
    seen: set[str] = set()
    for f in fields:
        if f.kind in grouped:
            if f.kind in seen:
                continue
            seen.add(f.kind)
            texts = grouped[f.kind]
        else:
            texts = (f.key, f.label(lang), f.help(lang) + ("" if f.editable else say("instructions_read_only", lang)))
        row += 1
        for col, text in enumerate(texts):
            ws.write_string(row, col, text)


# -- the JIT orders workbook (issue 14) -------------------------------------------------------------
@dataclass(frozen=True)
class OrdersMeta:
    store_id: str
    export_id: str
    exported_at: str
    lang: str
    target: str
    signature: str
    import_command: str = "sheetsync orders import FILE.xlsx --report report.xlsx"


ORDER_INSTRUCTIONS = {
    "en": [
        "How to use this sheet",
        "1. One row per order item; an order's own fields are repeated on each of its rows. Fill them in on one row "
        "(or all of them alike): an edit on one row applies to the whole order.",
        "2. Confirm: yes confirms the whole order. Empty leaves it as it is.",
        "3. To deliver: delivery type express (carrier and tracking numbers), truck (licence plate and phone) or "
        "other; boxes 1–99 for the labels. Orders with the same carrier and tracking numbers travel in one delivery.",
        "4. Grey cells are read-only. Deadlines due within 24 hours are highlighted.",
        "5. Save as .xlsx and run: {command}",
        "",
        "Columns",
    ],
    "zh": [
        "使用说明",
        "1. 每个商品一行；采购单的字段在其每一行重复。只需在一行填写（或各行填写相同）：修改一行即适用于整张采购单。",
        "2. 确认接单：填“是”确认整张采购单；留空表示不变。",
        "3. 发货：发货方式为快递（物流商和快递单号）、卡车（车牌号和电话）或其他；箱数 1–99 用于箱唛。"
        "物流商和快递单号相同的采购单合并为一个发货单。",
        "4. 灰色单元格为只读。24 小时内到期的截止时间标为黄色。",
        "5. 另存为 .xlsx 后运行：{command}",
        "",
        "列说明",
    ],
}
# The Orders dropdowns: each one's vocabulary (messages.VALUE_WORDS) and the values it offers.
_ORDER_LISTS = {"confirm": ("yes_no", ("yes",)), "delivery_type": ("delivery_type", ("express", "truck", "other"))}


def write_orders_workbook(path: str | Path, fields: Sequence[Field], rows: Sequence[dict[str, Any]],
                          meta: OrdersMeta, mark_sheet: str) -> None:
    """Write the Orders workbook, whole or not at all: `rows` hold each column's value as written
    (text, whole numbers, the deadline as a local date-time), in order. The look is the catalog
    template's: labels row 1, keys row 2, data from row 3, frozen header, read-only columns grey
    with an input message, dropdowns, and the hidden signed metadata bound to the sheet by its mark."""
    with output_workbook(path) as book:
        lang = meta.lang
        formats = Formats(book)
        ws = book.add_worksheet(mark_sheet)
        instructions = book.add_worksheet(sheet_name("instructions", lang))
        meta_ws = book.add_worksheet(SHEET_META)
        book.define_name(f"{mark_sheet}!{MARK_NAME}", mark_formula(meta.export_id))
        for col, f in enumerate(fields):
            ws.set_column(col, col, f.width, formats.cell(f))
            ws.write_string(0, col, f.label(lang), formats.label if f.editable else formats.label_readonly)
            ws.write_comment(0, col, f.help(lang), {"x_scale": 2, "y_scale": 1.2})
        ws.set_row(0, 32)
        for col, f in enumerate(fields):
            ws.write_string(1, col, f.key, formats.key)
        for number, values in enumerate(rows, start=HEADER_ROWS):
            for col, f in enumerate(fields):
                value = values.get(f.key)
                if value is None or value == "":
                    continue
                if f.kind == "datetime":
                    ws.write_datetime(number, col, value, formats.cell(f))
                elif isinstance(value, int) and not isinstance(value, bool):
                    ws.write_number(number, col, value, formats.cell(f))
                else:
                    text = str(value)
                    ws.write_string(number, col, text, formats.cell(f, quoted=needs_quote(text)))
        last = HEADER_ROWS + max(len(rows), 1) - 1
        ws.freeze_panes(HEADER_ROWS, 1)
        ws.autofilter(1, 0, last, len(fields) - 1)
        for col, f in enumerate(fields):
            if f.kind == "datetime":
                due_highlight(book, ws, col, HEADER_ROWS, last)
            if not f.editable:
                ws.data_validation(HEADER_ROWS, col, last, col, {
                    "validate": "any", "input_title": message("read_only_title", lang)[:32],
                    "input_message": message("read_only_help", lang)[:255]})
            elif f.key in _ORDER_LISTS:
                ws.data_validation(HEADER_ROWS, col, last, col, {
                    "validate": "list", "source": _order_choices(f.key, lang), "error_type": "warning",
                    "error_title": f.label(lang)[:32], "error_message": f.help(lang)[:255]})
            elif f.kind == "boxes":
                ws.data_validation(HEADER_ROWS, col, last, col, {
                    "validate": "integer", "criteria": "between", "minimum": f.min_value, "maximum": f.max_value,
                    "error_title": f.label(lang)[:32], "error_message": f.help(lang)[:255]})
        ws.activate()
        title = book.add_format({"bold": True, "font_size": 14})
        bold = book.add_format({"bold": True})
        instructions.set_column(0, 0, 24)
        instructions.set_column(1, 1, 22)
        instructions.set_column(2, 2, 100)
        lines = [line.replace("{command}", meta.import_command) for line in ORDER_INSTRUCTIONS[lang]]
        instructions.write_string(0, 0, lines[0], title)
        for row, line in enumerate(lines[1:], start=1):
            instructions.write_string(row, 0, line, bold if line == lines[-1] else None)
        for row, f in enumerate(fields, start=len(lines)):
            for col, text in enumerate((f.key, f.label(lang), f.help(lang))):
                instructions.write_string(row, col, text)
        for row, (key, value) in enumerate([
            ("template_version", TEMPLATE_VERSION), ("kind", "orders"), ("store_id", meta.store_id),
            ("export_id", meta.export_id), ("exported_at", meta.exported_at), ("lang", lang),
            ("target", meta.target), ("signature", meta.signature),
        ]):
            meta_ws.write_string(row, 0, key)
            meta_ws.write_string(row, 1, value)
        meta_ws.very_hidden()


def _order_choices(key: str, lang: str) -> list[str]:
    """An Orders dropdown's choices in the workbook's language (the import reads either)."""
    kind, values = _ORDER_LISTS[key]
    return [value_word(kind, value, lang) for value in values]
