"""The core contract end to end: export, edit like a seller, import, re-export, report."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from tests.conftest import Workbook, stocked_country

RATES = "country,max_weight_kg,fixed_fee,per_kg_fee,currency,volumetric_divisor\n"


def run(store, *args):
    result = CliRunner().invoke(main, ["--store", str(store), *map(str, args)])
    return result.exit_code, result.output


def run_json(store, *args):
    code, out = run(store, *args, "--json")
    return code, json.loads(out)


def three_edits(wb: Workbook):
    a, b, c = wb.sku_ids[0], wb.sku_ids[5], wb.sku_ids[9]
    cc = stocked_country(wb, b)
    wb.set(a, "seller_price", 21.99)
    wb.set(b, f"stock_{cc}", 0)
    wb.set(c, "weight_kg", 0.347)
    return a, b, c, cc


def test_three_edits_are_applied_and_exported_again(store, workbook, tmp_path):
    a, b, c, cc = three_edits(workbook)
    edited = workbook.save(tmp_path / "edited.xlsx")
    code, result = run_json(store, "import", edited, "--report", tmp_path / "r.xlsx")
    assert code == 0
    assert result["status"] == "applied"
    assert (result["changes"], result["changed_skus"], result["applied"]) == (3, 3, 3)
    assert result["errors"] == []
    sheetsync.export_catalog(store, tmp_path / "again.xlsx")
    again = Workbook(tmp_path / "again.xlsx")
    assert again.get(a, "seller_price") == 21.99
    assert again.get(b, f"stock_{cc}") == 0
    assert again.get(c, "weight_kg") == 0.347


def test_untouched_cells_are_never_written(store, workbook, tmp_path, catalog):
    before = catalog()
    sku = workbook.sku_ids[2]
    workbook.set(sku, "seller_price", workbook.get(sku, "seller_price") + 1)
    workbook.save(tmp_path / "edited.xlsx")
    assert sheetsync.import_workbook(store, tmp_path / "edited.xlsx").status == "applied"
    after = catalog()
    changed = (before != after).any(axis=1)
    assert list(changed[changed].index) == [sku]
    assert (before.loc[sku] != after.loc[sku]).sum() == 1


def expected_display(rates_rows, weight, dims, price):
    """ARCHITECTURE.md's rule with Decimal, independent of sheetsync.pricing."""
    divisor = Decimal(rates_rows[0][3])
    volumetric = Decimal(dims[0]) * Decimal(dims[1]) * Decimal(dims[2]) / divisor if divisor else Decimal(0)
    charge = Decimal(max(Decimal(str(weight)), volumetric) * 1000).to_integral_value(rounding="ROUND_CEILING") / 1000
    for max_kg, fixed, per_kg, _ in rates_rows:
        if charge <= Decimal(max_kg):
            freight = (Decimal(fixed) + Decimal(per_kg) * charge).quantize(Decimal("0.01"), ROUND_HALF_UP)
            return Decimal(str(price)) + freight
    return None


@pytest.mark.parametrize("divisor", ["6000", "0"])
def test_display_prices_match_the_rule_to_the_cent(store, workbook, tmp_path, divisor):
    three_edits(workbook)
    edited = workbook.save(tmp_path / "edited.xlsx")
    countries = [k[6:] for k in workbook.keys if k and k.startswith("stock_")]
    brackets = [("0.1", "1.05", "0", divisor), ("2", "0.65", "7.35", divisor), ("500", "2.10", "6.95", divisor)]
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES + "".join(f"{cc},{m},{f},{p},USD,{d}\n" for cc in countries for m, f, p, d in brackets))
    code, _ = run(store, "import", edited, "--rates", rates, "--report", tmp_path / "r.xlsx")
    assert code == 0
    report = openpyxl.load_workbook(tmp_path / "r.xlsx")["Display prices"]
    header = [c.value for c in report[1]]  # the labels: Display price US
    got = {}
    for row in report.iter_rows(min_row=2, values_only=True):
        for name, value in zip(header, row, strict=True):
            if name.startswith("Display price ") and value is not None:
                got[(row[0], name[len("Display price "):])] = Decimal(str(value))
    want = {}
    wb = Workbook(edited)
    for sku in wb.sku_ids:
        for cc in countries:
            if wb.get(sku, f"stock_{cc}") > 0:
                dims = [wb.get(sku, k) for k in ("length_cm", "width_cm", "height_cm")]
                want[(sku, cc)] = expected_display(brackets, wb.get(sku, "weight_kg"), dims,
                                                   wb.get(sku, "seller_price"))
    assert got == want
    assert len(want) > 500


def test_bad_cells_are_named_and_nothing_is_applied(store, workbook, tmp_path, catalog):
    before = catalog()
    a, b = workbook.sku_ids[0], workbook.sku_ids[1]
    price_cell = workbook.set(a, "seller_price", "12,5O")
    stock_cell = workbook.set(b, "stock_US", -5)
    workbook.set(workbook.sku_ids[3], "seller_price", 11.11)  # a valid edit that must not be applied either
    bad = workbook.save(tmp_path / "bad.xlsx")
    code, result = run_json(store, "import", bad, "--report", tmp_path / "r.xlsx")
    assert code == 1 and result["status"] == "invalid"
    by_cell = {e["cell"]: e for e in result["errors"]}
    assert set(by_cell) == {price_cell, stock_cell}
    assert by_cell[price_cell]["rule"] == "price_format" and by_cell[price_cell]["value"] == "12,5O"
    assert by_cell[price_cell]["sheet"] == "Products" and by_cell[price_cell]["field"] == "seller_price"
    assert by_cell[stock_cell]["rule"] == "stock_range" and by_cell[stock_cell]["sku_id"] == b
    assert "12.50" in by_cell[price_cell]["message"]
    assert catalog().equals(before)
    errors = openpyxl.load_workbook(tmp_path / "r.xlsx")["Errors"]
    header = [c.value for c in errors[1]]  # the labels
    rows = [dict(zip(header, r, strict=True)) for r in errors.iter_rows(min_row=2, values_only=True)]
    assert {r["Cell"] for r in rows} == {price_cell, stock_cell}
    assert all(r["Sheet"] and r["Field"] and r["Rule"] and r["Message"] for r in rows)


def test_skip_invalid_applies_the_valid_rows(store, workbook, tmp_path, catalog):
    good, bad = workbook.sku_ids[0], workbook.sku_ids[1]
    workbook.set(good, "seller_price", 20.5)
    workbook.set(bad, "seller_price", "abc")
    workbook.set(bad, "weight_kg", 0.5)  # valid cell on an invalid row: skipped with its row
    path = workbook.save(tmp_path / "mixed.xlsx")
    code, result = run_json(store, "import", path, "--skip-invalid")
    assert code == 1 and result["status"] == "invalid"
    assert result["applied"] == 1
    now = catalog()
    assert now.at[good, "seller_price"] == 2050
    assert now.at[bad, "weight_kg"] != 500


def test_dry_run_applies_nothing(store, workbook, tmp_path, catalog):
    before = catalog()
    workbook.set(workbook.sku_ids[0], "seller_price", 19.99)
    path = workbook.save(tmp_path / "dry.xlsx")
    code, result = run_json(store, "import", path, "--dry-run")
    assert (code, result["status"], result["changes"], result["applied"]) == (0, "dry_run", 1, 0)
    code, result = run_json(store, "validate", path)
    assert (code, result["status"]) == (0, "dry_run")
    assert catalog().equals(before)


def test_reimport_of_unedited_export_and_of_applied_file_change_nothing(store, exported, workbook, tmp_path):
    code, result = run_json(store, "import", exported)
    assert (code, result["status"], result["changes"]) == (0, "unchanged", 0)
    workbook.set(workbook.sku_ids[4], "seller_price", 8.88)
    path = workbook.save(tmp_path / "edited.xlsx")
    assert run_json(store, "import", path)[1]["status"] == "applied"
    code, result = run_json(store, "import", path)
    assert (code, result["status"], result["changes"], result["already_applied"]) == (0, "unchanged", 0, 1)


def test_reordered_and_deleted_columns(store, exported, tmp_path, catalog):
    wb = openpyxl.load_workbook(exported)
    ws = wb["Products"]
    keys = [c.value for c in ws[2]]
    ws.delete_cols(keys.index("weight_kg") + 1)  # a deleted column is left untouched
    ws.move_range("A1:A200", rows=0, cols=ws.max_column + 1)  # product_id moved to the end
    ws.delete_cols(1)
    keys = [c.value for c in ws[2]]
    sku_col, price_col = keys.index("sku_id") + 1, keys.index("seller_price") + 1
    sku = ws.cell(3, sku_col).value
    ws.cell(3, price_col).value = 19.44
    wb.save(tmp_path / "moved.xlsx")
    before = catalog()
    code, result = run_json(store, "import", tmp_path / "moved.xlsx")
    assert code == 0, result["errors"]
    assert result["changes"] == 1
    after = catalog()
    assert after.at[sku, "seller_price"] == 1944
    assert after["weight_kg"].equals(before["weight_kg"])


def test_unknown_column_is_a_warning(store, exported, tmp_path):
    wb = openpyxl.load_workbook(exported)
    ws = wb["Products"]
    col = ws.max_column + 1
    ws.cell(1, col).value, ws.cell(2, col).value, ws.cell(3, col).value = "My notes", "my_notes", "check supplier"
    wb.save(tmp_path / "extra.xlsx")
    code, result = run_json(store, "import", tmp_path / "extra.xlsx")
    assert code == 0
    assert [w["rule"] for w in result["warnings"]] == ["unknown_column"]


def test_chinese_template_round_trip(store, tmp_path, catalog):
    path = tmp_path / "zh.xlsx"
    sheetsync.export_catalog(store, path, lang="zh")
    wb = Workbook(path)
    assert wb.ws.cell(1, wb.keys["seller_price"]).value == "供货价"
    sku = wb.sku_ids[0]
    wb.set(sku, "seller_price", "19,75")  # a decimal comma typed as text
    wb.set(wb.sku_ids[1], "weight_kg", "abc")
    wb.save(tmp_path / "zh-edit.xlsx")
    code, result = run_json(store, "import", tmp_path / "zh-edit.xlsx")
    assert code == 1
    assert "重量" in result["errors"][0]["message"]  # messages follow the template's language
    wb.set(wb.sku_ids[1], "weight_kg", 0.2)
    wb.save(tmp_path / "zh-fixed.xlsx")
    code, result = run_json(store, "import", tmp_path / "zh-fixed.xlsx")
    assert code == 0
    assert catalog().at[sku, "seller_price"] == 1975


def test_keys_row_deleted_columns_found_by_label(store, tmp_path, catalog):
    for lang in ("en", "zh"):
        path = tmp_path / f"{lang}.xlsx"
        sheetsync.export_catalog(store, path, lang=lang)
        wb = openpyxl.load_workbook(path)
        ws = wb["Products"]
        keys = [c.value for c in ws[2]]
        sku = ws.cell(3, keys.index("sku_id") + 1).value
        ws.cell(3, keys.index("stock_US") + 1).value = 77
        ws.delete_rows(2)
        wb.save(tmp_path / f"{lang}-nokeys.xlsx")
        code, result = run_json(store, "import", tmp_path / f"{lang}-nokeys.xlsx")
        assert code == 0, result["errors"]
        assert catalog().at[sku, "stock_US"] == 77


def test_python_api(store, tmp_path):
    summary = sheetsync.export_catalog(store, tmp_path / "api.xlsx")
    assert summary.rows == 63 and "UK" in summary.countries and "GB" not in summary.countries
    wb = Workbook(tmp_path / "api.xlsx")
    wb.set(wb.sku_ids[0], "title", "Wireless Earbuds Pro")
    wb.set(wb.sku_ids[1], "title", "Wireless Earbuds Pro")  # same product: every row carries the title
    wb.save(tmp_path / "api-edit.xlsx")
    result = sheetsync.import_workbook(store, tmp_path / "api-edit.xlsx", report=tmp_path / "r.xlsx")
    assert isinstance(result, sheetsync.ImportResult)
    assert (result.status, result.exit_code, result.changes) == ("applied", 0, 1)
    assert [c.field for c in result.change_list] == ["title"]
    assert result.as_json()["report"] == str(tmp_path / "r.xlsx")
    assert sheetsync.history(store)[0]["status"] == "applied"


def test_chinese_messages_name_fields_in_chinese(store, tmp_path):
    sheetsync.export_catalog(store, tmp_path / "zh.xlsx", lang="zh")
    wb = Workbook(tmp_path / "zh.xlsx")
    wb.set(wb.sku_ids[0], "length_cm", 12.5)
    wb.set(wb.sku_ids[1], "title", None)
    result = sheetsync.import_workbook(store, wb.save(tmp_path / "zh-bad.xlsx"))
    messages = {e.field: e.message for e in result.errors}
    assert messages["length_cm"].startswith("长(cm) 必须是整数")
    assert "商品标题" in messages["title"]
    english = sheetsync.import_workbook(store, tmp_path / "zh-bad.xlsx", lang="en")
    assert {e.field: e.message for e in english.errors}["length_cm"].startswith("Length (cm) must be")


def test_catalog_reads_the_same_in_chunks(store, monkeypatch):
    """The store reads its catalog a chunk of rows at a time; chunk edges change nothing."""
    import pandas as pd

    from sheetsync import store as store_module
    from sheetsync.store import Store

    with Store.open(store) as handle:
        whole = handle.catalog_frame()
        some = list(whole.index[5:40:3])
        monkeypatch.setattr(store_module, "_FETCH_ROWS", 7)
        pd.testing.assert_frame_equal(handle.catalog_frame(), whole)
        pd.testing.assert_frame_equal(handle.catalog_frame(some), whole.loc[some])
        assert len(whole) == 63 and whole["stock_US"].dtype == "int64"
