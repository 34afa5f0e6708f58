"""Issue 15, item 5: a report that reads well, through the CLI as a seller runs it. Its tables are
headed by the field labels in the report's language, the severity first in Errors, the SKU's code,
title and row beside its id, every column as wide as its label; its Products copy looks and works
like the template (formats, widths, dropdowns, read-only grey, live preview) and, once fixed
there, imports as it is."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from sheetsync.sheetlook import text_width
from tests.conftest import Workbook
from tests.libreoffice import libreoffice  # noqa: F401  (fixture)
from tests.test_orders import OrdersBook


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def width(ws, column: int) -> float:
    """A column's width as the file sets it (openpyxl keeps a run of columns under its first)."""
    for dimension in ws.column_dimensions.values():
        if dimension.min and dimension.min <= column <= dimension.max:
            return dimension.width
    raise AssertionError(f"{ws.title}: no width for column {column}")


def a_bad_import(store: Path, tmp_path: Path, *options: str) -> tuple[Workbook, dict[str, str], Path]:
    """Export with the preview, make one bad price and one good weight edit, import with a report."""
    run("--store", store, "export", tmp_path / "catalog.xlsx")
    wb = Workbook(tmp_path / "catalog.xlsx")
    first, second = wb.sku_ids[:2]
    cells = {"bad": wb.set(first, "seller_price", "12,5O"), "weight": wb.set(second, "weight_kg", 0.2)}
    wb.save(tmp_path / "edited.xlsx")
    code, output = run("--store", store, "import", tmp_path / "edited.xlsx", "--report", tmp_path / "report.xlsx",
                       *options)
    assert code == 1, output
    return wb, cells, tmp_path / "report.xlsx"


def test_report_tables_are_headed_by_labels_wide_enough_with_the_sku_as_the_seller_knows_it(store, tmp_path):
    wb, cells, path = a_bad_import(store, tmp_path)
    report = openpyxl.load_workbook(path)
    errors, changes, prices = report["Errors"], report["Changes"], report["Display prices"]

    assert [c.value for c in errors[1]] == ["Severity", "Sheet", "Cell", "Row", "Field", "SKU ID", "Value", "Rule",
                                            "Message", "Exported value", "Value now"]
    assert [c.value for c in errors[2]][:4] == ["error", "Products", cells["bad"], 3]

    second = wb.sku_ids[1]
    title = wb.get(second, "title")
    assert [c.value for c in changes[1]] == ["SKU ID", "SKU code", "Title", "Row", "Product ID", "Field", "Before",
                                             "After", "Result"]
    assert [c.value for c in changes[2]][:6] == [second, wb.get(second, "sku_code"), title, 4,
                                                 wb.get(second, "product_id"), "weight_kg"]

    labels = [c.value for c in prices[1]]
    assert labels[:6] == ["SKU ID", "SKU code", "Title", "Row", "Seller price", "Chargeable weight (kg)"]
    assert "Display price US" in labels
    row = next(r for r in prices.iter_rows(min_row=2, values_only=True) if r[0] == second)
    assert row[1:4] == (wb.get(second, "sku_code"), title, 4)

    for ws in (errors, changes, prices, report["Push results"]):
        for column, cell in enumerate(ws[1], start=1):
            assert width(ws, column) >= text_width(cell.value), (ws.title, cell.value, width(ws, column))


def test_chinese_report_headers(store, tmp_path):
    _, _, path = a_bad_import(store, tmp_path, "--lang", "zh")
    report = openpyxl.load_workbook(path)
    assert [c.value for c in report["错误"][1]][:3] == ["级别", "工作表", "单元格"]  # sheet names too
    labels = [c.value for c in report["前台价"][1]]
    assert labels[4:6] == ["供货价", "计费重量(kg)"] and "前台价 US" in labels
    column = labels.index("前台价 US") + 1
    assert width(report["前台价"], column) >= text_width("前台价 US")


def test_the_products_copy_looks_like_the_template_and_imports_once_fixed(store, tmp_path, catalog):
    wb, cells, path = a_bad_import(store, tmp_path)
    template = openpyxl.load_workbook(tmp_path / "catalog.xlsx")["Products"]
    report = openpyxl.load_workbook(path)
    copy = report["Products"]

    keys = [c.value for c in template[2]]
    assert [c.value for c in copy[2]] == keys
    for column, key in enumerate(keys, start=1):
        assert width(copy, column) == width(template, column), key
        assert copy.cell(4, column).number_format == template.cell(4, column).number_format, key
        assert copy.cell(1, column).fill.fgColor.rgb == template.cell(1, column).fill.fgColor.rgb, key
    read_only = keys.index("currency") + 1
    assert copy.cell(4, read_only).fill.fgColor.rgb == template.cell(4, read_only).fill.fgColor.rgb == "FFF2F2F2"
    assert copy[cells["bad"]].fill.fgColor.rgb == "FFFFC7CE"  # the red cell

    def checks(ws):
        return sorted((str(dv.type), str(dv.sqref).split(":")[0].rstrip("0123456789")) for dv in
                      ws.data_validations.dataValidation)
    assert checks(copy) == checks(template)
    assert ("list", openpyxl.utils.get_column_letter(keys.index("logistics_attribute") + 1)) in checks(copy)

    previews = [i for i, key in enumerate(keys, start=1) if key.startswith("display_price_")]
    assert previews
    for column in previews:  # live formulas over the row's own cells and the report's rate card
        stock = openpyxl.utils.get_column_letter(keys.index(f"stock_{keys[column - 1][14:]}") + 1)
        formula = str(copy.cell(4, column).value)
        assert formula.startswith(f"=IF(N({stock}4)>0,") and "_rates!" in formula
    assert report["_rates"].sheet_state == "hidden" and report["_lists"].sheet_state == "hidden"

    # Fix the red cell in the report's own Products sheet, save, import the report file itself.
    copy[cells["bad"]].value = 12.5
    report.save(tmp_path / "report-fixed.xlsx")
    code, output = run("--store", store, "import", tmp_path / "report-fixed.xlsx")
    assert code == 0 and "Applied" in output, output
    assert catalog().at[wb.sku_ids[0], "seller_price"] == 1250
    assert catalog().at[wb.sku_ids[1], "weight_kg"] == 200


def test_a_report_without_preview_columns_has_no_rate_sheet(store, tmp_path):
    sheetsync.export_catalog(store, tmp_path / "catalog.xlsx", preview=[])
    wb = Workbook(tmp_path / "catalog.xlsx")
    wb.set(wb.sku_ids[0], "seller_price", "x")
    wb.save(tmp_path / "edited.xlsx")
    code, _ = run("--store", store, "validate", tmp_path / "edited.xlsx", "--report", tmp_path / "r.xlsx")
    assert code == 1
    assert "_rates" not in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames


def test_libreoffice_computes_the_copys_preview_like_the_reports_display_prices(store, tmp_path, libreoffice):  # noqa: F811
    """The live preview of the report's Products copy, recalculated by LibreOffice, shows what the
    import computed (the Display prices sheet), to the cent, edited weight included."""
    import python_calamine

    _, _, path = a_bad_import(store, tmp_path)
    recalculated = libreoffice.resave(path, tmp_path / "lo")
    book = python_calamine.CalamineWorkbook.from_path(str(recalculated))
    rows = book.get_sheet_by_name("Products").to_python(skip_empty_area=False)
    keys = rows[1]
    table = book.get_sheet_by_name("Display prices").to_python(skip_empty_area=False)
    header = [str(label).replace("Display price ", "display_price_") for label in table[0]]
    prices = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:] if row[0]}
    compared = 0
    for row in rows[2:]:
        sku = row[keys.index("sku_id")]
        if sku not in prices:  # a SKU with an error is not priced
            continue
        for col, key in enumerate(keys):
            if key.startswith("display_price_"):
                want = prices[sku][key]
                assert (round(row[col] * 100) if row[col] != "" else "") == (round(want * 100) if want != "" else ""), \
                    (sku, key, row[col], want)
                compared += 1
    assert compared > 100


def test_the_orders_copy_shows_deadlines_as_dates_and_imports_once_fixed_without_warnings(store, tmp_path):
    """The report's Orders copy keeps the export's formats (the deadline a date-time, quantities
    whole numbers) and its due-within-24-hours highlight; fixed and imported untouched otherwise,
    it warns of no read-only cell changed."""
    run("--store", store, "orders", "export", tmp_path / "orders.xlsx")
    book = OrdersBook(tmp_path / "orders.xlsx")
    cell = book.fill(book.with_status("to confirm")[0], confirm="yes", delivery_type="express", carrier="SF",
                     tracking_numbers="??")
    book.save(tmp_path / "bad.xlsx")
    code, output = run("--store", store, "orders", "import", tmp_path / "bad.xlsx", "--report", tmp_path / "r.xlsx")
    assert code == 1, output

    template = openpyxl.load_workbook(tmp_path / "orders.xlsx")["Orders"]
    report = openpyxl.load_workbook(tmp_path / "r.xlsx")
    copy = report["Orders"]
    keys = [c.value for c in template[2]]
    for column, key in enumerate(keys, start=1):
        if template.cell(3, column).value is not None:  # an empty cell was never written: openpyxl says General
            assert copy.cell(3, column).number_format == template.cell(3, column).number_format, key
    deadline = keys.index("deadline") + 1
    assert copy.cell(3, deadline).number_format == "yyyy-mm-dd hh:mm"
    assert copy.cell(3, deadline).value == template.cell(3, deadline).value  # a date-time, not 46367.0965
    assert copy.cell(3, keys.index("quantity") + 1).number_format == "0"
    highlight = [rule.formula for rules in copy.conditional_formatting for rule in rules.rules]
    assert highlight == [rule.formula for rules in template.conditional_formatting for rule in rules.rules] != []

    copy[cell].value = "SF1000000001"
    report.save(tmp_path / "fixed.xlsx")
    code, output = run("--store", store, "orders", "import", tmp_path / "fixed.xlsx", "--json")
    result = json.loads(output)
    assert code == 0 and result["status"] == "applied", output
    assert not [w for w in result["warnings"] if w["rule"] == "read_only_changed"], output


def test_the_summary_names_the_store_file_and_says_the_status_once(store, tmp_path, monkeypatch):
    """The store the seller passed (its id in brackets at most), and the status in words, once."""
    _, _, path = a_bad_import(store, tmp_path)
    run("--store", store, "orders", "export", tmp_path / "orders.xlsx")
    run("--store", store, "orders", "import", tmp_path / "orders.xlsx", "--report", tmp_path / "orders-report.xlsx")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEETSYNC_STORE", raising=False)
    store.rename(tmp_path / "sheetsync.db")  # the default store: the command named none
    run("import", "catalog.xlsx", "--report", "default-report.xlsx")

    def summary(report: Path) -> dict[str, object]:
        ws = openpyxl.load_workbook(report)["Summary"]
        return {row[0].value: row[1].value for row in ws.iter_rows() if len(row) > 1 and row[0].value}

    store_id = sheetsync.status(tmp_path / "sheetsync.db")["store_id"]
    for report, shown, status in ((path, str(store), "Not imported: "),
                                  (tmp_path / "orders-report.xlsx", str(store), "Unchanged: nothing to write"),
                                  (tmp_path / "default-report.xlsx", "sheetsync.db", "Unchanged: nothing to write")):
        told = summary(report)
        assert told["Store"] == f"{shown} ({store_id})", report
        assert str(told["Status"]).startswith(status), told  # not "unchanged: Unchanged: …"
