"""Issue 15, item 1: the seller sees what will change, and what changed, as a plan of cells
(`Products!H3  WIRE00-1BLACK  seller_price  18.90 → 12.50`), with every warning beside the errors,
in the text, in --json, in `history RUN_ID`, and through the Python API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
from click.testing import CliRunner

import sheetsync
from sheetsync.cli import main
from tests.conftest import Workbook

PLAN_LINE = re.compile(r"^    (Products!\w+)\s+(\S+)\s+(\w+)\s+(.+) → (.+?)(?:  \((.+)\))?$")


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def plan(output: str) -> list[tuple[str, ...]]:
    return [match.groups() for line in output.splitlines() if (match := PLAN_LINE.match(line))]


def edited(store: Path, tmp_path: Path, name: str = "edited.xlsx") -> tuple[Workbook, Path]:
    sheetsync.export_catalog(store, tmp_path / "catalog.xlsx", preview=[])
    return Workbook(tmp_path / "catalog.xlsx"), tmp_path / name


def test_validate_prints_each_change_with_its_cell_sku_code_and_values_and_the_ignored_edit(store, tmp_path):
    wb, path = edited(store, tmp_path)
    first, second = wb.sku_ids[:2]
    price_cell = wb.set(first, "seller_price", 12.5)
    stock_cell = wb.set(second, "stock_US", 0)
    old_stock = Workbook(tmp_path / "catalog.xlsx").get(second, "stock_US")
    old_price = Workbook(tmp_path / "catalog.xlsx").get(first, "seller_price")
    currency_cell = wb.set(second, "currency", "EUR")
    wb.save(path)

    code, output = run("--store", store, "validate", path)

    assert code == 0, output
    assert "Would change:" in output
    assert plan(output) == [
        (f"Products!{price_cell}", wb.get(first, "sku_code"), "seller_price", f"{old_price:.2f}", "12.50", None),
        (f"Products!{stock_cell}", wb.get(second, "sku_code"), "stock_US", str(old_stock), "0", None),
    ]
    warning = next(line for line in output.splitlines() if "warning" in line)
    assert f"Products!{currency_cell}" in warning and "read_only_changed" in warning and '"EUR"' in warning


def test_import_says_what_it_changed_and_json_carries_the_changes_warnings_and_push_results(store, tmp_path):
    wb, path = edited(store, tmp_path)
    sku = wb.sku_ids[0]
    old_weight = wb.get(sku, "weight_kg")
    wb.set(sku, "weight_kg", 0.4)
    wb.set(sku, "variant", "Color: Gold")
    wb.save(path)

    code, output = run("--store", store, "import", path, "--dry-run")
    assert code == 0 and "Would change:" in output
    assert plan(output)[0][2:5] == ("weight_kg", f"{old_weight:.3f}", "0.400")

    code, output = run("--store", store, "import", path, "--json")
    result = json.loads(output)
    assert code == 0 and result["status"] == "applied"
    change = result["change_list"][0]
    assert change == {"sheet": "Products", "cell": wb.coord(sku, "weight_kg"), "row": wb.rows[sku], "sku_id": sku,
                      "sku_code": wb.get(sku, "sku_code"), "product_id": str(wb.get(sku, "product_id")),
                      "field": "weight_kg", "before": old_weight, "after": 0.4, "result": "applied"}
    assert [w["rule"] for w in result["warnings"]] == ["read_only_changed"]
    assert result["push_results"] == [{"product_id": change["product_id"], "sku_id": sku, "status": "applied",
                                       "code": None, "message": None}]

    code, output = run("--store", store, "import", path)  # the same file again: nothing left to change
    assert code == 0 and "Changed:" not in output and "Would change" not in output


def test_a_long_plan_shows_twenty_changes_then_says_where_the_rest_are(store, tmp_path):
    wb, path = edited(store, tmp_path)
    for sku in wb.sku_ids[:25]:
        wb.set(sku, "stock_FR", 7)
    wb.save(path)
    exported = Workbook(tmp_path / "catalog.xlsx")
    changed = sum(1 for sku in wb.sku_ids[:25] if exported.get(sku, "stock_FR") != 7)

    code, output = run("--store", store, "validate", path)
    assert code == 0 and len(plan(output)) == 20
    assert f"… and {changed - 20} more (see --report)" in output
    rows = [int(re.sub(r"\D", "", cell)) for cell, *_ in plan(output)]
    assert rows == sorted(rows)  # in the order of the sheet

    code, output = run("--store", store, "validate", path, "--report", tmp_path / "r.xlsx")
    assert f"… and {changed - 20} more (see {tmp_path / 'r.xlsx'})" in output


def test_an_invalid_file_shows_what_would_change_once_fixed(store, tmp_path):
    wb, path = edited(store, tmp_path)
    good, bad = wb.sku_ids[:2]
    wb.set(good, "seller_price", 11)
    bad_cell = wb.set(bad, "seller_price", "12,5O")
    wb.save(path)

    code, output = run("--store", store, "import", path)
    assert code == 1
    assert "nothing was written" in output and [p[2] for p in plan(output)] == ["seller_price"]
    assert f"error Products!{bad_cell} [price_format]" in output


def test_history_lists_runs_under_a_header_in_local_time_and_shows_what_a_run_changed(store, tmp_path):
    wb, path = edited(store, tmp_path)
    sku = wb.sku_ids[0]
    old = wb.get(sku, "seller_price")
    wb.set(sku, "seller_price", 9.99)
    wb.save(path)
    run("--store", store, "import", path)

    code, output = run("--store", store, "history")
    header, line = output.splitlines()
    assert code == 0 and header.split() == ["run", "started", "status", "target", "changes", "file"]
    assert re.search(r" \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d  applied ", line), line
    run_id = line.split()[0]

    code, output = run("--store", store, "history", run_id)
    assert code == 0 and run_id in output.splitlines()[0]
    assert re.search(rf"^    {sku}\s+{re.escape(wb.get(sku, 'sku_code'))}\s+seller_price\s+{old:.2f} → 9.99$",
                     output, re.M), output
    assert f"sheetsync --store {store} revert {run_id} --dry-run" in output

    code, output = run("--store", store, "history", run_id, "--json")
    data = json.loads(output)
    assert data["run"]["status"] == "applied"
    assert [(c["sku_id"], c["field"], c["before"], c["after"], c["result"]) for c in data["change_list"]] == [
        (sku, "seller_price", old, 9.99, "applied")]
    runs = json.loads(run("--store", store, "history", "--json")[1])["runs"]
    assert [r["run_id"] for r in runs] == [run_id]

    code, output = run("--store", store, "revert", run_id, "--dry-run")
    assert code == 0 and "Would put back:" in output and f"9.99 → {old:.2f}" in output


def test_a_skip_invalid_run_that_wrote_rows_is_listed_as_applied(store, tmp_path):
    wb, path = edited(store, tmp_path)
    good, bad = wb.sku_ids[:2]
    wb.set(good, "seller_price", 11)
    wb.set(bad, "seller_price", "oops")
    wb.save(path)
    code, output = run("--store", store, "import", path, "--skip-invalid")
    assert code == 1 and "Changed:" in output

    code, output = run("--store", store, "history")
    assert "  applied  " in output.splitlines()[1]
    run_id = output.splitlines()[1].split()[0]
    assert "1 errors: their rows were skipped" in run("--store", store, "history", run_id)[1]


def test_history_of_an_unknown_run_suggests_the_command_with_the_sellers_store(store):
    code, output = run("history", "20200101-000000-abcdef", "--store", store)
    assert code == 2 and f"`sheetsync --store {store} history`" in output


def test_global_options_may_come_after_the_command(store, tmp_path):
    wb, path = edited(store, tmp_path)
    wb.set(wb.sku_ids[0], "stock_DE", 3)
    wb.save(path)
    assert run("validate", path, "--store", store)[0] == 0
    assert run("import", path, f"--store={store}", "--json")[0] == 0
    code, output = run("history", "--store", store)
    assert code == 0 and len(output.splitlines()) == 2


def test_history_piped_into_a_closed_reader_exits_quietly(store):
    """`sheetsync history | head`: the reader is gone before anything is written."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        done = subprocess.run([sys.executable, "-m", "sheetsync.cli", "--store", str(store), "history"],
                              stdout=writing, stderr=subprocess.PIPE, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    finally:
        os.close(writing)
    assert done.stderr == b"" and done.returncode in (0, 1)


def test_the_instructions_print_the_import_command_for_this_file_and_store(store, tmp_path):
    out = tmp_path / "my catalog.xlsx"
    code, output = run("export", out, "--store", store)
    assert code == 0, output
    lines = [cell.value for row in openpyxl.load_workbook(out)["Instructions"].iter_rows() for cell in row[:1]]
    assert f'6. Save as .xlsx and run: sheetsync --store {store} import "my catalog.xlsx" --report report.xlsx' \
        in lines


def test_the_python_api_gives_the_same_changes(store, tmp_path):
    wb, path = edited(store, tmp_path)
    sku = wb.sku_ids[0]
    wb.set(sku, "barcode", "")
    wb.save(path)
    result = sheetsync.import_workbook(store, path)
    run_info, changes = sheetsync.run_changes(store, result.run_id)
    assert run_info["status"] == "applied"
    assert [(c.sku_id, c.field, c.after, c.result, c.sku_code) for c in changes] == [
        (sku, "barcode", "", "applied", wb.get(sku, "sku_code"))]
    assert result.change_list[0].as_json()["cell"] == wb.coord(sku, "barcode")


def test_history_names_the_revert_that_put_a_run_back(store, tmp_path):
    """A run a revert put back is never listed as simply applied (found by a new-seller review)."""
    wb, path = edited(store, tmp_path)
    wb.set(wb.sku_ids[0], "seller_price", 12.5)
    wb.save(path)
    runner = CliRunner()
    assert runner.invoke(main, ["--store", str(store), "import", str(path)]).exit_code == 0
    first = json.loads(runner.invoke(main, ["--store", str(store), "history", "--json"]).stdout)["runs"][-1]
    assert "reverted_by" not in first
    assert runner.invoke(main, ["--store", str(store), "revert", first["run_id"]]).exit_code == 0
    runs = json.loads(runner.invoke(main, ["--store", str(store), "history", "--json"]).stdout)["runs"]
    revert = runs[-1]
    assert [r.get("reverted_by") for r in runs if r["run_id"] == first["run_id"]] == [revert["run_id"]]
    table = runner.invoke(main, ["--store", str(store), "history"]).stdout
    assert f"(put back by {revert['run_id']})" in table.splitlines()[-2]
    detail = runner.invoke(main, ["--store", str(store), "history", first["run_id"]]).stdout
    assert detail.splitlines()[-1].strip() == f"Since put back by run {revert['run_id']}."
    assert "revert" not in detail.splitlines()[-1]
