"""Excel compatibility proven with a real spreadsheet program: files re-saved and edited by
LibreOffice import as they should."""

from __future__ import annotations

import openpyxl
import pytest

import sheetsync
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
    assert ws.protection.sheet
    assert wb["_sheetsync"].sheet_state in ("hidden", "veryHidden")


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
