"""The export feels native: layout, formats, validation, read-only marking, text identifiers, safety."""

from __future__ import annotations

import openpyxl
import pytest

import sheetsync
from sheetsync.fields import needs_quote


@pytest.fixture
def sheet(exported):
    return openpyxl.load_workbook(exported)


def test_layout(sheet):
    assert sheet.sheetnames[:2] == ["Products", "Instructions"]
    ws = sheet["Products"]
    labels = [c.value for c in ws[1]]
    keys = [c.value for c in ws[2]]
    assert keys[:12] == ["product_id", "title", "sku_id", "sku_code", "variant", "barcode", "currency",
                         "seller_price", "weight_kg", "length_cm", "width_cm", "height_cm"]
    # the live preview where the eye is: right after the columns it is computed from
    preview = [k for k in keys if k.startswith("display_price_")]
    assert len(preview) == 3 and keys[12:15] == preview and keys[15] == "logistics_attribute"
    stock = [k for k in keys if k.startswith("stock_")]
    assert len(stock) == 33 and "stock_UK" in stock and "stock_GB" not in stock
    assert keys[16:] == stock
    # in the order of the stock columns, not of the markets' ranking
    assert preview == [f"display_price_{k[6:]}" for k in stock if f"display_price_{k[6:]}" in preview]
    assert labels[keys.index("seller_price")] == "Seller price"
    assert ws.freeze_panes == "D3"
    assert ws.max_row == 2 + 63
    assert ws.cell(2, 1).font.sz == 8  # keys row: small grey text
    meta = sheet["_sheetsync"]
    assert meta.sheet_state == "veryHidden"
    values = {r[0]: r[1] for r in meta.iter_rows(values_only=True)}
    assert set(values) >= {"template_version", "store_id", "export_id", "exported_at", "lang", "signature"}


def test_rows_sorted_by_product_then_sku(exported, store):
    from sheetsync.store import Store

    ws = openpyxl.load_workbook(exported)["Products"]
    ids = [(ws.cell(r, 1).value, ws.cell(r, 3).value) for r in range(3, ws.max_row + 1)]
    with Store.open(store) as handle:
        frame = handle.catalog_frame()
    assert ids == list(zip(frame["product_id"], frame["sku_id"], strict=True))


def test_formats_and_text_identifiers(sheet):
    ws = sheet["Products"]
    keys = {c.value: c.column for c in ws[2]}
    row = 3
    assert ws.cell(row, keys["seller_price"]).number_format == "0.00"
    assert ws.cell(row, keys["weight_kg"]).number_format == "0.000"
    for key in ("product_id", "sku_id", "sku_code", "barcode"):
        cell = ws.cell(row, keys[key])
        assert cell.number_format == "@" and cell.data_type == "s", key
    barcodes = [ws.cell(r, keys["barcode"]).value for r in range(3, ws.max_row + 1)]
    assert any(isinstance(b, str) and b.startswith("0") for b in barcodes)
    codes = [ws.cell(r, keys["sku_code"]).value for r in range(3, ws.max_row + 1)]
    assert "00123-SOCK"[:5] in {c[:5] for c in codes}


def test_no_protection_read_only_columns_grey_with_an_input_message(sheet):
    """Sorting, deleting rows, inserting columns and typing notes must all work (the Instructions say
    so), so the sheet is not protected; read-only columns say what they are when selected."""
    ws = sheet["Products"]
    keys = {c.value: c.column for c in ws[2]}
    assert not ws.protection.sheet
    messages = {}
    for dv in ws.data_validations.dataValidation:
        for cells in dv.sqref.ranges:
            messages[cells.min_col] = dv
    for key in ("product_id", "sku_id", "variant", "currency", "display_price_US"):
        cell = ws.cell(3, keys[key])
        assert cell.fill.fgColor.rgb.endswith("F2F2F2") and cell.protection.locked, key
        dv = messages[keys[key]]
        assert dv.type is None and dv.showInputMessage and dv.promptTitle == "Read-only", key
        assert "ignores any change" in dv.prompt, key
    for key in ("title", "seller_price", "weight_kg", "stock_US", "logistics_attribute", "barcode"):
        cell = ws.cell(3, keys[key])
        assert not cell.protection.locked and cell.fill.fgColor.rgb in (None, "00000000"), key
        assert key not in messages or not messages[keys[key]].showInputMessage
    assert ws.auto_filter.ref


def test_the_products_sheet_carries_its_export_id(store, tmp_path):
    summary = sheetsync.export_catalog(store, tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "x.xlsx")
    name = wb["Products"].defined_names["SheetsyncExport"]
    assert name.attr_text == f'"{summary.export_id}"'
    assert "SheetsyncExport" not in wb["_sheetsync"].defined_names


def test_dropdown_from_hidden_list_and_whole_number_stock(sheet):
    ws = sheet["Products"]
    keys = {c.value: c.column for c in ws[2]}
    letter = openpyxl.utils.get_column_letter
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for cells in dv.sqref.ranges:
            by_column[cells.min_col] = dv
    enum = by_column[keys["logistics_attribute"]]
    assert enum.type == "list" and enum.formula1.startswith("_lists!")
    assert sheet["_lists"].sheet_state == "hidden"
    assert [c.value for c in sheet["_lists"]["A"]] == ["general", "built_in_battery", "weak_magnetic",
                                                       "built_in_battery+weak_magnetic"]
    stock = by_column[keys["stock_US"]]
    assert (stock.type, stock.formula1, stock.formula2) == ("whole", "0", "999999")
    assert by_column[keys["seller_price"]].type == "decimal"
    assert str(by_column[keys["stock_US"]].sqref).startswith(f"{letter(keys['stock_US'])}3:")


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "＝HYPERLINK()", "＋1"])
def test_formula_like_text_cannot_run(store, tmp_path, text):
    from sheetsync.store import Store

    with Store.open(store) as handle:
        sku = handle.catalog_frame().index[0]
        product = handle.catalog_frame().at[sku, "product_id"]
        with handle.transaction():
            handle.db.execute("UPDATE products SET title = ? WHERE product_id = ?", (text, product))
    assert needs_quote(text)
    sheetsync.export_catalog(store, tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["Products"]
    cell = ws.cell(3, 2)
    assert cell.data_type == "s" and cell.value == text and cell.quotePrefix
    if text == text.strip():  # cells are read stripped of surrounding whitespace
        result = sheetsync.import_workbook(store, tmp_path / "x.xlsx")
        assert result.status == "unchanged", [e.message for e in result.errors]


def test_chinese_labels_and_instructions(store, tmp_path):
    sheetsync.export_catalog(store, tmp_path / "zh.xlsx", lang="zh")
    wb = openpyxl.load_workbook(tmp_path / "zh.xlsx")
    labels = [c.value for c in wb["Products"][1]]
    assert "商品标题" in labels and "库存 美国 US" in labels  # a country's name beside its code
    assert wb["Products"].cell(2, 1).value == "product_id"  # keys stay the same in every language
    assert wb["使用说明"]["A1"].value == "使用说明"
    table = {r[0]: r for r in wb["使用说明"].iter_rows(values_only=True) if r[0]}
    assert table["display_price_<CC>"][1] == "前台价 <国家>" and "只读" in table["display_price_<CC>"][2]
    assert wb.sheetnames[0] == "Products"


def test_text_an_excel_cell_cannot_hold_is_refused_before_writing(store, tmp_path):
    from sheetsync.store import Store

    with Store.open(store) as handle:
        product = handle.catalog_frame()["product_id"].iloc[0]
        with handle.transaction():
            handle.db.execute("UPDATE products SET title = ? WHERE product_id = ?", ("题" * 40_000, product))
        exports_before = handle.db.execute("SELECT COUNT(*) FROM exports").fetchone()[0]
    with pytest.raises(sheetsync.SheetsyncError) as caught:
        sheetsync.export_catalog(store, tmp_path / "x.xlsx")
    assert caught.value.rule == "export_text_too_long"
    assert "40000 characters" in str(caught.value) and "title" in str(caught.value)
    assert not (tmp_path / "x.xlsx").exists()
    with Store.open(store) as handle:
        assert handle.db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == exports_before


def test_a_catalog_longer_than_a_sheet_is_refused():
    import numpy as np
    import pandas as pd

    from sheetsync.template import EXCEL_MAX_ROWS, check_fits

    fits = pd.DataFrame({"seller_price": np.ones(EXCEL_MAX_ROWS - 2, dtype="int64")})
    check_fits(fits)
    with pytest.raises(sheetsync.SheetsyncError) as caught:
        check_fits(pd.DataFrame({"seller_price": np.ones(EXCEL_MAX_ROWS - 1, dtype="int64")}))
    assert caught.value.rule == "export_too_many_rows"


def test_export_reports_progress_for_every_row(tmp_path):
    """The export streams in chunks; the progress callback (a bar on a terminal) sees every row once."""
    store = tmp_path / "big.db"
    sheetsync.init_store(store, synthetic=2_500)
    seen: list[int] = []
    summary = sheetsync.export_catalog(store, tmp_path / "big.xlsx", progress=seen.append)
    assert sum(seen) == summary.rows == 2_500 and len(seen) >= 3
    ws = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)["Products"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 2_500 and all(row[2] for row in rows)  # every SKU ID present, none lost between chunks
    assert sheetsync.import_workbook(store, tmp_path / "big.xlsx").status == "unchanged"  # every cell as exported
