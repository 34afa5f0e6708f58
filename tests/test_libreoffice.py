"""Excel compatibility proven with a real spreadsheet program: files re-saved and edited by
LibreOffice import as they should."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.read import export_mark
from tests.conftest import Workbook, stocked_country
from tests.libreoffice import libreoffice  # noqa: F401  (fixture)

pytestmark = pytest.mark.libreoffice


def test_resaved_export_imports_with_no_errors_and_no_changes(store, exported, tmp_path, libreoffice):  # noqa: F811
    resaved = libreoffice.resave(exported, tmp_path / "lo")
    result = sheetsync.import_workbook(store, resaved)
    assert (result.status, result.changes, result.errors) == ("unchanged", 0, [])
    assert result.saved_by and result.saved_by.startswith("LibreOffice")
    wb = openpyxl.load_workbook(resaved)
    ws = wb["Products"]
    keys = {c.value: c.column for c in ws[2]}
    # what LibreOffice keeps: dropdowns, whole-number checks, number formats, text identifiers
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "whole", "decimal"} <= kinds
    assert ws.cell(3, keys["seller_price"]).number_format == "0.00"
    assert ws.cell(3, keys["weight_kg"]).number_format == "0.000"
    barcodes = [ws.cell(r, keys["barcode"]).value for r in range(3, ws.max_row + 1)]
    assert any(isinstance(b, str) and b.startswith("0") for b in barcodes)
    assert wb["_sheetsync"].sheet_state in ("hidden", "veryHidden")
    # what the template's integrity and read-only marking rely on survives too
    assert export_mark(resaved) == export_mark(exported) is not None
    prompts = {dv.promptTitle for dv in ws.data_validations.dataValidation if dv.showInputMessage}
    assert "Read-only" in prompts


def test_openpyxl_edits_resaved_by_libreoffice(store, workbook, tmp_path, libreoffice, catalog):  # noqa: F811
    a, b, c = workbook.sku_ids[0], workbook.sku_ids[5], workbook.sku_ids[9]
    cc = stocked_country(workbook, b)
    workbook.set(a, "seller_price", 21.99)
    workbook.set(b, f"stock_{cc}", 0)
    workbook.set(c, "weight_kg", 0.347)
    edited = workbook.save(tmp_path / "edited.xlsx")
    resaved = libreoffice.resave(edited, tmp_path / "lo")
    result = sheetsync.import_workbook(store, resaved)
    assert (result.status, result.changes, result.changed_skus) == ("applied", 3, 3)
    now = catalog()
    assert (now.at[a, "seller_price"], now.at[b, f"stock_{cc}"], now.at[c, "weight_kg"]) == (2199, 0, 347)


def test_edits_typed_in_libreoffice(store, workbook, tmp_path, libreoffice, catalog):  # noqa: F811
    ids = workbook.sku_ids
    cc = stocked_country(workbook, ids[2])
    leading_zero = next(s for s in ids if str(workbook.get(s, "barcode") or "").startswith("0"))
    edits = [
        {"sheet": "Products", "cell": workbook.coord(ids[0], "seller_price"), "kind": "number", "value": 21.5},
        {"sheet": "Products", "cell": workbook.coord(ids[1], "seller_price"), "kind": "text", "value": "19,75"},
        {"sheet": "Products", "cell": workbook.coord(ids[2], f"stock_{cc}"), "kind": "input", "value": "0"},
        {"sheet": "Products", "cell": workbook.coord(ids[3], "weight_kg"), "kind": "input", "value": "0.5"},
    ]
    done = libreoffice.edit(workbook.path, tmp_path / "lo-edit.xlsx", edits)
    result = sheetsync.import_workbook(store, done)
    assert result.status == "applied", [(e.cell, e.message) for e in result.errors]
    assert result.changes == 4
    now = catalog()
    assert now.at[ids[0], "seller_price"] == 2150 and now.at[ids[1], "seller_price"] == 1975
    assert now.at[ids[2], f"stock_{cc}"] == 0 and now.at[ids[3], "weight_kg"] == 500

    # a number pasted into the (text) barcode column loses its leading zero: named, not applied
    sheetsync.export_catalog(store, tmp_path / "fresh.xlsx")
    fresh = Workbook(tmp_path / "fresh.xlsx")
    cell = fresh.coord(leading_zero, "barcode")
    pasted = libreoffice.edit(fresh.path, tmp_path / "pasted.xlsx", [
        {"sheet": "Products", "cell": cell, "kind": "number", "value": int(fresh.get(leading_zero, "barcode"))}])
    result = sheetsync.import_workbook(store, pasted)
    assert [(e.cell, e.rule) for e in result.errors] == [(cell, "leading_zeros_lost")]


def test_report_converts_to_pdf(store, workbook, tmp_path, libreoffice):  # noqa: F811
    workbook.set(workbook.sku_ids[0], "seller_price", "bad")
    sheetsync.import_workbook(store, workbook.save(tmp_path / "bad.xlsx"), report=tmp_path / "report.xlsx")
    pdf = libreoffice.resave(tmp_path / "report.xlsx", tmp_path / "pdf", fmt="pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000


def test_sort_delete_insert_and_notes_in_libreoffice_import_exactly_the_edits(
        store, workbook, tmp_path, libreoffice, catalog):  # noqa: F811
    """What the Instructions allow, done in LibreOffice on the template as exported: sort by price,
    delete a row, insert a column, keep notes in a column of one's own. The import applies exactly
    the two edits; the deleted row's edit is gone with it; the notes are one warning at most."""
    before = catalog()
    ids = workbook.sku_ids
    a, b, gone = ids[0], ids[4], ids[7]
    cc = stocked_country(workbook, b)
    prices = {sku: workbook.get(sku, "seller_price") for sku in ids}
    prices[a] = round(prices[a] * 1.1, 2)
    prices[gone] = 13.37  # its edit goes with its row
    assert list(prices.values()).count(prices[gone]) == 1
    width = len(workbook.keys)
    price_col = workbook.keys["seller_price"] - 1  # 0-based, as UNO counts
    gone_row = 3 + sum(1 for p in prices.values() if p < prices[gone])  # where the sort puts it
    notes = openpyxl.utils.get_column_letter(width + 2)  # first free column once one is inserted
    edits = [
        {"sheet": "Products", "cell": workbook.coord(a, "seller_price"), "kind": "number", "value": prices[a]},
        {"sheet": "Products", "cell": workbook.coord(b, f"stock_{cc}"), "kind": "input", "value": "0"},
        {"sheet": "Products", "cell": workbook.coord(gone, "seller_price"), "kind": "number", "value": prices[gone]},
        {"sheet": "Products", "kind": "sort", "first_row": 3, "last_row": 2 + len(ids), "column": price_col},
        {"sheet": "Products", "kind": "delete_row", "row": gone_row},
        {"sheet": "Products", "kind": "insert_column", "column": price_col},
        {"sheet": "Products", "cell": f"{notes}1", "kind": "text", "value": "My notes"},
        {"sheet": "Products", "cell": f"{notes}2", "kind": "text", "value": "notes"},
        {"sheet": "Products", "cell": f"{notes}3", "kind": "text", "value": "ask supplier about the red ones"},
        {"sheet": "Products", "cell": f"{notes}4", "kind": "text", "value": "重新拍照"},
    ]
    done = libreoffice.edit(workbook.path, tmp_path / "lo-rearranged.xlsx", edits)

    # LibreOffice did all four (a protected sheet refuses them)
    ws = openpyxl.load_workbook(done)["Products"]
    keys = [c.value for c in ws[2]]
    assert keys[price_col] is None and keys[price_col + 1] == "seller_price" and keys[width + 1] == "notes"
    sku_col, price_at = keys.index("sku_id") + 1, keys.index("seller_price") + 1
    sheet_skus = [ws.cell(r, sku_col).value for r in range(3, ws.max_row + 1)]
    assert len(sheet_skus) == len(ids) - 1 and gone not in sheet_skus
    sorted_prices = [ws.cell(r, price_at).value for r in range(3, ws.max_row + 1)]
    assert sorted_prices == sorted(sorted_prices) and ws[f"{notes}4"].value == "重新拍照"

    # imported as a seller types it
    out = CliRunner().invoke(main, ["--store", str(store), "import", str(done), "--json"])
    result = json.loads(out.output)
    assert (out.exit_code, result["status"]) == (0, "applied"), result["errors"]
    assert (result["changes"], result["changed_skus"], result["applied"]) == (2, 2, 2)
    assert {w["rule"] for w in result["warnings"]} <= {"unknown_column"}
    after = catalog()
    assert after.at[a, "seller_price"] == round(prices[a] * 100) and after.at[b, f"stock_{cc}"] == 0
    after.at[a, "seller_price"], after.at[b, f"stock_{cc}"] = before.at[a, "seller_price"], before.at[b, f"stock_{cc}"]
    assert after.equals(before)  # nothing else moved, the deleted row's SKU included
