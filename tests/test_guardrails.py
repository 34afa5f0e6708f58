"""Issue 15, item 3: the typos that matter are guardrail errors, typed as a seller types them
through the CLI: a weight or a package size moved 10× or more, a display price moved beyond the
price limit (once per SKU, on the cell that moved it), a weight above the rate card's heaviest
bracket (once, on the weight cell); every guardrail message says which way the value went, and
--allow-large-changes turns the guardrails into warnings."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from tests.conftest import Workbook, stocked_country


def run(*args: object) -> tuple[int, dict]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def exported(store: Path, tmp_path: Path) -> Workbook:
    sheetsync.export_catalog(store, tmp_path / "catalog.xlsx", preview=[])
    return Workbook(tmp_path / "catalog.xlsx")


def test_grams_typed_into_the_kilogram_column_is_a_guardrail_error_until_allowed(store, tmp_path):
    wb = exported(store, tmp_path)
    sku = wb.sku_ids[0]
    before = wb.get(sku, "weight_kg")
    cell = wb.set(sku, "weight_kg", 25)  # 0.1xx kg typed as grams-ish: 25 kg
    path = wb.save(tmp_path / "edited.xlsx")

    code, result = run("--store", store, "import", path, "--json")

    assert code == 1 and result["status"] == "invalid"
    assert [(e["sheet"], e["cell"], e["rule"]) for e in result["errors"]] == [
        ("Products", cell, "large_measure_change")]
    percent = f"{(25 - before) * 100 / before:,.0f}"
    assert result["errors"][0]["message"].startswith(f"Weight (kg) rises {percent}% (from {before:.3f} to 25.000)")

    code, result = run("--store", store, "import", path, "--json", "--allow-large-changes")

    assert code == 0 and result["status"] == "applied" and result["errors"] == []
    assert [(w["cell"], w["rule"]) for w in result["warnings"]] == [(cell, "large_measure_change")]


def test_a_package_size_divided_by_ten_drops_and_says_so(store, tmp_path):
    wb = exported(store, tmp_path)
    sku = wb.sku_ids[1]
    before = wb.get(sku, "length_cm")
    assert before >= 10
    cell = wb.set(sku, "length_cm", 1)
    path = wb.save(tmp_path / "edited.xlsx")

    code, result = run("--store", store, "validate", path, "--json")

    assert code == 1
    assert [(e["cell"], e["rule"]) for e in result["errors"]] == [(cell, "large_measure_change")]
    assert f"Length (cm) drops {(before - 1) * 100 / before:.1f}".removesuffix(".0") in result["errors"][0]["message"]


def test_a_display_price_jump_is_one_error_per_sku_on_the_cell_that_caused_it(store, tmp_path):
    wb = exported(store, tmp_path)
    sku = wb.sku_ids[0]
    length, width = wb.get(sku, "length_cm"), wb.get(sku, "width_cm")
    wb.set(sku, "length_cm", length * 9)  # each under 10×, together the parcel is 81 times bigger
    cell = wb.set(sku, "width_cm", width * 9 + 1)  # the larger move: the cell named
    path = wb.save(tmp_path / "edited.xlsx")

    code, result = run("--store", store, "validate", path, "--json")

    assert code == 1
    assert [(e["cell"], e["rule"], e["sku_id"]) for e in result["errors"]] == [
        (cell, "large_display_price_change", sku)]
    message = result["errors"][0]["message"]
    assert message.startswith(f"With this Width (cm) (from {width} to {width * 9 + 1}), the display price in ")
    assert " rises " in message and "more than the 50% limit" in message

    code, result = run("--store", store, "import", path, "--dry-run", "--json", "--allow-large-changes")
    assert code == 0 and [w["rule"] for w in result["warnings"]] == ["large_display_price_change"]


def test_a_seller_price_jump_says_its_direction(store, tmp_path):
    wb = exported(store, tmp_path)
    sku = wb.sku_ids[0]
    before = wb.get(sku, "seller_price")
    cell = wb.set(sku, "seller_price", 0.05)
    path = wb.save(tmp_path / "edited.xlsx")

    code, result = run("--store", store, "validate", path, "--json")

    assert code == 1
    # the seller price's own guardrail only: the display price follows from the same cell
    assert [(e["cell"], e["rule"]) for e in result["errors"]] == [(cell, "large_price_change")]
    drop = f"{(before - 0.05) * 100 / before:.1f}".removesuffix(".0")
    assert result["errors"][0]["message"].startswith(f"Seller price drops {drop}% (from {before:.2f} to 0.05)")


def test_too_heavy_for_every_country_is_one_error_on_the_weight_cell(store, tmp_path):
    wb = exported(store, tmp_path)
    sku = wb.sku_ids[0]
    cell = wb.set(sku, "weight_kg", 45)  # the default rate card stops at 30 kg
    path = wb.save(tmp_path / "edited.xlsx")

    code, result = run("--store", store, "import", path, "--dry-run", "--json", "--allow-large-changes")

    assert code == 1
    assert [(e["cell"], e["field"], e["rule"]) for e in result["errors"]] == [(cell, "weight_kg", "no_freight_bracket")]
    assert result["errors"][0]["message"].startswith("The chargeable weight 45.000 kg is above the rate card's "
                                                      "heaviest bracket for ")


def test_a_guardrail_let_through_says_so_instead_of_asking_for_the_option_used(store, tmp_path):
    wb = exported(store, tmp_path)
    price = wb.set(wb.sku_ids[0], "seller_price", 0.05)
    weight = wb.set(wb.sku_ids[1], "weight_kg", wb.get(wb.sku_ids[1], "weight_kg") * 20)
    stock_sku = wb.sku_ids[2]
    wb.set(stock_sku, f"stock_{stocked_country(wb, stock_sku)}", 999_999)
    wb.set(wb.sku_ids[3], "length_cm", wb.get(wb.sku_ids[3], "length_cm") * 9)
    wb.set(wb.sku_ids[3], "width_cm", wb.get(wb.sku_ids[3], "width_cm") * 9)
    path = wb.save(tmp_path / "edited.xlsx")

    code, refused = run("--store", store, "validate", path, "--json")
    assert code == 1
    assert {e["rule"] for e in refused["errors"]} == {"large_price_change", "large_measure_change",
                                                      "large_stock_change", "large_display_price_change"}
    assert all(e["message"].endswith("import with --allow-large-changes if it is right.") for e in refused["errors"])

    told = {"en": ("Let through by --allow-large-changes: check that it is the value you meant.", "if it is right"),
            "zh": ("已因 --allow-large-changes 放行：请确认这是您想要的值。", "请使用 --allow-large-changes")}
    for lang, (allowed, asked) in told.items():
        code, result = run("--store", store, "import", path, "--dry-run", "--json", "--allow-large-changes",
                           "--lang", lang)
        assert code == 0 and result["errors"] == []
        warned = [w for w in result["warnings"] if w["rule"].startswith("large_")]
        assert {w["cell"] for w in warned} >= {price, weight} and len(warned) == 4, warned
        assert all(w["message"].endswith(allowed) and asked not in w["message"] for w in warned), warned
