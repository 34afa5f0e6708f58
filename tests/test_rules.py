"""Each validation rule with a real workbook: the cell named, the rule, nothing applied."""

from __future__ import annotations

import datetime as dt

import pytest

import sheetsync
from sheetsync.amounts import parse_decimal_text
from sheetsync.schema import barcode_problem
from tests.conftest import Workbook


def import_edited(store, workbook, tmp_path, edits, **options):
    for (index, key), value in edits.items():
        workbook.set(workbook.sku_ids[index], key, value)
    path = workbook.save(tmp_path / "edited.xlsx")
    return sheetsync.import_workbook(store, path, **options)


@pytest.mark.parametrize("key, value, rule", [
    ("seller_price", "12,5O", "price_format"),
    ("seller_price", 12.345, "price_decimals"),
    ("seller_price", "12.345", "price_decimals"),
    ("seller_price", 0, "price_range"),
    ("seller_price", 1000000, "price_range"),
    ("seller_price", None, "required"),
    ("seller_price", "1,250", "ambiguous_number"),
    ("seller_price", "$12", "price_format"),
    ("seller_price", True, "price_format"),
    ("seller_price", dt.datetime(2024, 3, 1), "date_in_number"),
    ("weight_kg", 0.0005, "weight_decimals"),
    ("weight_kg", 501, "weight_range"),
    ("weight_kg", "heavy", "weight_format"),
    ("length_cm", 12.5, "integer_format"),
    ("width_cm", 0, "dimension_range"),
    ("height_cm", 701, "dimension_range"),
    ("stock_US", -5, "stock_range"),
    ("stock_US", 1000000, "stock_range"),
    ("stock_US", None, "stock_required"),
    ("stock_US", 2.5, "integer_format"),
    ("title", "x" * 129, "title_length"),
    ("title", None, "required"),
    ("sku_code", "bad code!", "sku_code_format"),
    ("sku_code", "A" * 21, "sku_code_format"),
    ("sku_code", None, "required"),
    ("barcode", "12345", "barcode_format"),
    ("barcode", "4006381333932", "barcode_check_digit"),
    ("logistics_attribute", "battery", "logistics_attribute"),
    ("product_id", "1005000000000001", "sku_product_mismatch"),
    ("product_id", "P-1", "identifier_format"),
    ("product_id", 1.5, "number_precision_lost"),
    ("sku_id", "99999999999", "unknown_sku"),
    ("sku_id", "12-34", "identifier_format"),
])
def test_each_rule_names_the_cell(store, workbook, tmp_path, catalog, key, value, rule):
    before = catalog()
    sku = workbook.sku_ids[0]
    cell = workbook.coord(sku, key)
    workbook.set(workbook.sku_ids[3], "seller_price", workbook.get(workbook.sku_ids[3], "seller_price") + 1)
    result = import_edited(store, workbook, tmp_path, {(0, key): value})
    assert result.status == "invalid" and result.exit_code == 1
    found = [(e.cell, e.rule) for e in result.errors]
    assert (cell, rule) in found, found
    error = next(e for e in result.errors if e.cell == cell)
    assert error.sheet == "Products" and error.message and error.field == key
    assert catalog().equals(before)


def test_title_must_match_across_a_product(store, workbook, tmp_path):
    first, second = workbook.sku_ids[0], workbook.sku_ids[1]  # the two SKUs of the first product
    result = import_edited(store, workbook, tmp_path, {(0, "title"): "New earbuds"})
    assert [(e.cell, e.rule) for e in result.errors] == [(workbook.coord(second, "title"), "title_inconsistent")]
    assert first != second


def test_duplicated_sku_names_both_rows(store, exported, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(exported)
    ws = wb["Products"]
    for col in range(1, ws.max_column + 1):
        ws.cell(ws.max_row + 1 if col == 1 else ws.max_row, col).value = ws.cell(3, col).value
    wb.save(tmp_path / "dup.xlsx")
    result = sheetsync.import_workbook(exported.parent / "shop.db", tmp_path / "dup.xlsx")
    dup = [e for e in result.errors if e.rule == "duplicate_sku"]
    assert {e.row for e in dup} == {3, ws.max_row}


def test_sku_code_unique_in_store(store, workbook, tmp_path):
    taken = workbook.get(workbook.sku_ids[5], "sku_code")
    result = import_edited(store, workbook, tmp_path, {(0, "sku_code"): taken})
    assert {e.rule for e in result.errors} == {"sku_code_duplicate"}
    # swapping two codes in one sheet is fine
    wb = Workbook(workbook.path)
    a, b = wb.get(wb.sku_ids[0], "sku_code"), wb.get(wb.sku_ids[1], "sku_code")
    result = import_edited(store, wb, tmp_path, {(0, "sku_code"): b, (1, "sku_code"): a})
    assert result.status == "applied", [e.message for e in result.errors]


def test_leading_zeros_lost_and_numbers_in_identifier_columns(store, workbook, tmp_path):
    sku = next(s for s in workbook.sku_ids if str(workbook.get(s, "barcode") or "").startswith("0"))
    index = workbook.sku_ids.index(sku)
    barcode = workbook.get(sku, "barcode")
    result = import_edited(store, workbook, tmp_path, {(index, "barcode"): int(barcode)})
    assert [(e.rule, e.cell) for e in result.errors] == [("leading_zeros_lost", workbook.coord(sku, "barcode"))]
    assert barcode in result.errors[0].message
    result = import_edited(store, workbook, tmp_path, {(index, "barcode"): 1.2345678901234567e17})
    assert [e.rule for e in result.errors] == ["number_precision_lost"]


def test_ids_typed_as_numbers(store, workbook, tmp_path):
    sku = workbook.sku_ids[0]
    workbook.set(sku, "seller_price", 19.5)
    # a 16-digit product ID survives as a float: read back to its digits, with a warning
    result = import_edited(store, workbook, tmp_path, {(0, "product_id"): int(workbook.get(sku, "product_id"))})
    assert result.status == "applied"
    assert [(w.rule, w.cell) for w in result.warnings] == [("identifier_as_number", workbook.coord(sku, "product_id"))]
    # a 17-digit SKU ID does not (2**53 < 10**16): the row cannot be trusted
    result = import_edited(store, workbook, tmp_path, {(0, "sku_id"): int(sku)})
    assert [(e.rule, e.cell) for e in result.errors] == [("number_precision_lost", workbook.coord(sku, "sku_id"))]


def test_read_only_edit_is_a_warning_and_ignored(store, workbook, tmp_path, catalog):
    sku = workbook.sku_ids[0]
    result = import_edited(store, workbook, tmp_path, {(0, "variant"): "Color: Gold", (0, "currency"): "EUR"})
    assert result.status == "unchanged"
    assert {(w.rule, w.cell) for w in result.warnings} == {
        ("read_only_changed", workbook.coord(sku, "variant")), ("read_only_changed", workbook.coord(sku, "currency"))}
    assert catalog().at[sku, "variant"] != "Color: Gold"


def test_too_heavy_for_the_rate_card_is_one_error_on_the_weight(store, workbook, tmp_path):
    sku = workbook.sku_ids[0]
    result = import_edited(store, workbook, tmp_path, {(0, "weight_kg"): 45})  # default card stops at 30 kg
    selling = [k.removeprefix("stock_") for k in workbook.keys if k and k.startswith("stock_")
               and workbook.get(sku, k) > 0]
    heavy = [e for e in result.errors if e.rule == "no_freight_bracket"]
    assert len(heavy) == 1 and heavy[0].cell == workbook.coord(sku, "weight_kg")
    assert "45.000 kg" in heavy[0].message and ", ".join(selling) in heavy[0].message
    # 45 kg is also 10× the exported weight: the guardrail speaks on the same cell, nothing else does
    assert {(e.rule, e.cell) for e in result.errors} == {("no_freight_bracket", heavy[0].cell),
                                                         ("large_measure_change", heavy[0].cell)}


def test_accepted_forms(store, workbook, tmp_path, catalog):
    result = import_edited(store, workbook, tmp_path, {
        (0, "seller_price"): "19,5", (1, "seller_price"): " 19.60 ", (2, "weight_kg"): "0,120",
        (3, "stock_US"): "12", (4, "logistics_attribute"): "General", (5, "barcode"): None,
        (6, "length_cm"): 12.0,
    })
    assert result.status == "applied", [(e.cell, e.message) for e in result.errors]
    now = catalog()
    ids = workbook.sku_ids
    assert now.at[ids[0], "seller_price"] == 1950 and now.at[ids[1], "seller_price"] == 1960
    assert now.at[ids[2], "weight_kg"] == 120 and now.at[ids[3], "stock_US"] == 12
    assert now.at[ids[4], "logistics_attribute"] == "general" and now.at[ids[5], "barcode"] == ""


@pytest.mark.parametrize("text, value, rule", [
    ("12.5", "12.5", None), ("12,50", "12.50", None), ("0,125", "0.125", None), ("1,250", None, "ambiguous_number"),
    ("1.234,56", "1234.56", None), ("1,234.56", "1234.56", None), ("1.234", "1.234", None),
    ("334.327,57", "334327.57", None), ("1,234,567", None, "ambiguous_number"), ("#REF!", None, "cell_error"),
    ("12.5.1", None, "format"),
])
def test_decimal_text(text, value, rule):
    number, problem = parse_decimal_text(text)
    assert (str(number) if number is not None else None, problem) == (value, rule)


@pytest.mark.parametrize("code, ok", [
    ("4006381333931", True), ("036000291452", True), ("96385074", True), ("10012345678902", True),
    ("4006381333932", False), ("123", False), ("", True),
])
def test_barcode_check_digits(code, ok):
    assert (barcode_problem(code) is None) == ok


@pytest.mark.parametrize("rows", [
    [(12.5, 1, 3), (0.1, 0, 7), (12.345, 2.5, 700)],            # numbers only: the row-wise path
    [(12.5, "3", 3), (None, 0, True), ("1,250", 2.5, 70)],        # mixed: explained column by column
    [(12.5,), (7,)],                                               # one column
    [],
])
def test_numeric_columns_parse_the_same_together_or_one_by_one(rows):
    from sheetsync.convert import amount_block, amount_column

    kinds = ["money", "stock", "dim"][:len(rows[0]) if rows else 3]
    together = amount_block(rows, kinds, [{}] * len(kinds))
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(kinds)
    for parsed, column, kind in zip(together, columns, kinds, strict=True):
        alone = amount_column(column, kind)
        assert parsed.values.tolist() == alone.values.tolist()
        assert parsed.problems == alone.problems


def test_numeric_block_scales_to_cents_and_units():
    from sheetsync.convert import amount_block

    price, stock = amount_block([(12.5, 1.0), (0.1, 0.0), (12.345, 2.5)], ["money", "stock"], [{}, {}])
    assert price.values.tolist()[:2] == [1250, 10] and price.values.isna().tolist() == [False, False, True]
    assert price.problems == {2: ("price_decimals", {})}
    assert stock.values.tolist()[:2] == [1, 0] and stock.problems == {2: ("integer_format", {})}


def test_a_country_missing_from_the_rate_card_is_one_error_for_all_its_skus(store, workbook, tmp_path, catalog):
    from sheetsync.config import reference_file

    lines = reference_file("freight_rates.csv").read_text(encoding="utf-8").splitlines()
    card = tmp_path / "no-de.csv"
    card.write_text("\n".join(line for line in lines if not line.startswith("DE,")) + "\n", encoding="utf-8")
    sold_in_de = [sku for sku in workbook.sku_ids if workbook.get(sku, "stock_DE") > 0]
    assert len(sold_in_de) > 2
    unsold = next(sku for sku in workbook.sku_ids if workbook.get(sku, "stock_DE") == 0)
    new_price = round(workbook.get(unsold, "seller_price") + 0.1, 2)
    workbook.set(unsold, "seller_price", new_price)
    result = import_edited(store, workbook, tmp_path, {}, rates=card, skip_invalid=True)

    missing = [e for e in result.errors if e.field == "stock_DE"]
    assert [e.rule for e in missing] == ["no_rate_for_country_skus"]
    assert missing[0].sku_id == sold_in_de[0] and missing[0].cell == workbook.coord(sold_in_de[0], "stock_DE")
    assert f"{len(sold_in_de)} SKUs" in missing[0].message
    assert catalog().at[unsold, "seller_price"] == round(new_price * 100)  # rows the card prices go through
    assert result.status == "invalid" and result.applied == 1
